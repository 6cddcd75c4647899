// `make bench`: first visits over a slower network. Each run is a new
// headless Chromium (empty HTTP cache and storage; the rep's session
// cookie set on the origin before the app's first byte), with Chrome's
// network emulation adding `RTT` ms to every round trip (DevTools
// Network.emulateNetworkConditions, through chromedriver), until the page's
// paint mark (the app's `board-painted`, `list-painted`, ...). Prints the
// median, min and max of `N` runs. The same build on local workerd can
// hide a round trip; at 100 ms each one counts.
//
//   RTT=100 node tests/cold-rtt.js PATH MARK N   (under tests/with-runtime.sh)
//
// PATH may name `{open}`: the rep's first open deal, e.g. /opportunities/{open}.
const base = process.env.DEALGATE_URL;
const driver = process.env.WEBDRIVER_URL;
const rtt = Number(process.env.RTT || 100);
const [mark, runs] = [process.argv[3], Number(process.argv[4] || 5)];
let path = process.argv[2];
if (!base || !driver || !path || !mark) {
  console.error('usage: RTT=100 node tests/cold-rtt.js PATH MARK N (under tests/with-runtime.sh)');
  process.exit(2);
}

async function call(method, p, body) {
  const r = await fetch(driver + p, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const v = (await r.json()).value;
  if (!r.ok) throw new Error(`${method} ${p}: ${JSON.stringify(v)}`);
  return v;
}

(async () => {
  const login = await fetch(base + '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'rep@example.com', password: 'dealgate-demo' }),
  });
  const cookie = (login.headers.get('set-cookie') || '').match(/dg_session=([^;]*)/);
  if (!cookie) throw new Error('the demo rep could not sign in');
  // `{open}` in PATH: the rep's first open deal (a deal page with its checklist).
  if (path.includes('{open}')) {
    const list = await fetch(base + '/api/opportunities?limit=1&status=open', {
      headers: { cookie: `dg_session=${cookie[1]}` },
    });
    const first = (await list.json()).items[0];
    if (!first) throw new Error('the demo rep has no open deal');
    path = path.replace('{open}', first.id);
  }
  const chrome = process.env.CHROME_PATH || '/usr/bin/chromium';
  const times = [];
  for (let i = 0; i < runs; i++) {
    const { sessionId } = await call('POST', '/session', {
      capabilities: { alwaysMatch: { 'goog:chromeOptions': { binary: chrome, args: [
        '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,900',
      ] } } },
    });
    const s = `/session/${sessionId}`;
    try {
      await call('POST', `${s}/goog/cdp/execute`, { cmd: 'Network.enable', params: {} });
      await call('POST', `${s}/goog/cdp/execute`, {
        cmd: 'Network.emulateNetworkConditions',
        params: { offline: false, latency: rtt, downloadThroughput: -1, uploadThroughput: -1 },
      });
      // The cookie needs a page of the origin: the health check, not the app.
      await call('POST', `${s}/url`, { url: base + '/api/health' });
      await call('POST', `${s}/cookie`, { cookie: { name: 'dg_session', value: cookie[1], path: '/' } });
      await call('POST', `${s}/url`, { url: base + path });
      let t = null;
      for (let k = 0; k < 200 && t === null; k++) {
        t = await call('POST', `${s}/execute/sync`, {
          script: 'const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null;',
          args: [mark],
        });
        if (t === null) await new Promise((r) => setTimeout(r, 100));
      }
      if (t === null) throw new Error(`${path}: no ${mark} in 20 s`);
      times.push(t);
    } finally {
      await call('DELETE', s);
    }
  }
  times.sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  console.log(`first visit, ${rtt} ms round trips, ${path} to ${mark}: median ${f(times[runs >> 1])} ms, min ${f(times[0])}, max ${f(times[runs - 1])} (${runs} runs)`);
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
