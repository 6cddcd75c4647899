#!/usr/bin/env bash
# Runs a command against the real local runtime:
#   1. a fresh local D1 + KV under a temporary folder, migrations and the
#      demo seed (server/seed/dev.sql) applied;
#   2. `wrangler dev` (workerd) on a free loopback port, waited for;
#   3. chromedriver on a free port (for the browser tests);
#   4. the command, with DEALGATE_URL and WEBDRIVER_URL set;
# and stops every process it started, by PID, whatever the command's outcome.
#
# The command may restart the runtime: `$DEALGATE_RESTART` stops `wrangler
# dev` (its whole process group, as the cleanup does), starts it again on
# the same port and the same local state, waits for /api/health and records
# the new PID where the cleanup finds it. `$DEALGATE_RESTART --kill` first
# SIGKILLs the runtime itself (wrangler's `workerd` child: no graceful stop,
# the writes in flight are cut) and wrangler with it, then restarts the
# same way (the soak: a graceful stop lets wrangler's proxy answer requests
# that arrive while it stops with an empty 500 of its own, not the Worker's).
# Expects the SPA in dist/ and the Worker in server/build/ (`make build`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 22 (from node_modules) is on PATH via the Makefile; it also does the HTTP probes.
probe() {
  node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

state=$(mktemp -d -t dealgate-e2e-XXXXXX)
logs="$state/logs"
mkdir -p "$logs"
pids=()

stop_all() {
  local status=$?
  # The runtime's current PID: a restart ($DEALGATE_RESTART) replaced it.
  if [ -s "$state/wrangler.pid" ] && [ "${#pids[@]}" -gt 0 ]; then
    pids[0]=$(cat "$state/wrangler.pid")
  fi
  for pid in "${pids[@]}"; do
    # Each service runs in its own process group: end the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    echo "--- wrangler log (last 40 lines) ---" >&2
    tail -n 40 "$logs/wrangler.log" 2>/dev/null >&2 || true
    cp -r "$logs" "${TMPDIR:-/tmp}/dealgate-e2e-last-failure" 2>/dev/null || true
  fi
  rm -rf "$state"
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -f dist/index.html ] || { echo "dist/ is missing: run 'make build' first" >&2; exit 1; }
[ -f server/build/worker/shim.mjs ] || { echo "server/build/ is missing: run 'make build' first" >&2; exit 1; }

wrangler d1 migrations apply DB --local --persist-to "$state/wrangler" < /dev/null > "$logs/migrate.log" 2>&1 \
  || { cat "$logs/migrate.log" >&2; exit 1; }
# The demo users and data, as `make dev` has them: the tests sign in as them.
wrangler d1 execute DB --local --persist-to "$state/wrangler" --file server/seed/dev.sql < /dev/null \
  > "$logs/seed.log" 2>&1 || { cat "$logs/seed.log" >&2; exit 1; }

# `DEALGATE_PRESEED=command`: run before the runtime starts, with
# DEALGATE_D1_FILE the local D1's SQLite file (make bench writes 100,000
# deals into it directly: through wrangler it takes half an hour).
if [ -n "${DEALGATE_PRESEED:-}" ]; then
  DEALGATE_D1_FILE=$(ls "$state"/wrangler/v3/d1/miniflare-D1DatabaseObject/*.sqlite | head -1)
  export DEALGATE_D1_FILE
  bash -c "$DEALGATE_PRESEED"
fi

port=$(free_port)
inspector=$(free_port)
# How the runtime starts, here and again on a restart: its own process
# group, so the cleanup and a restart end wrangler and workerd together.
cat > "$state/start-runtime.sh" <<START
#!/usr/bin/env bash
cd "$PWD"
export PATH="$PATH"
setsid wrangler dev --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \\
  --persist-to "$state/wrangler" --show-interactive-dev-session=false \\
  < /dev/null >> "$logs/wrangler.log" 2>&1 &
echo "\$!" > "$state/wrangler.pid"
START
bash "$state/start-runtime.sh"
pids+=("$(cat "$state/wrangler.pid")")

# `$DEALGATE_RESTART [--kill]`: see the header.
cat > "$state/restart-runtime.sh" <<RESTART
#!/usr/bin/env bash
set -euo pipefail
state="$state"
url="http://127.0.0.1:$port"
export PATH="$PATH"
RESTART
cat >> "$state/restart-runtime.sh" <<'RESTART'
health() {
  node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url/api/health"
}
pid=$(cat "$state/wrangler.pid")
# Every process under $1 (wrangler -> workerd), by the kernel's child lists.
descendants() {
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done
}
if [ "${1:-}" = "--kill" ]; then
  killed=""
  for c in $(descendants "$pid"); do
    if [ "$(cat /proc/"$c"/comm 2>/dev/null)" = "workerd" ]; then
      kill -KILL "$c" 2>/dev/null && killed="$killed $c"
    fi
  done
  [ -n "$killed" ] || { echo "restart --kill: no workerd under wrangler ($pid)" >&2; exit 1; }
  # And wrangler with it at once: its proxy, left alone, answers the
  # requests that arrive meanwhile with an empty 500 of its own.
  kill -KILL -- "-$pid" 2>/dev/null || true
  echo "restart: SIGKILLed workerd$killed and wrangler" >&2
fi
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL -- "-$pid" 2>/dev/null || true
# The old runtime no longer answers before the new one takes the port.
for _ in $(seq 1 100); do health || break; sleep 0.1; done
bash "$state/start-runtime.sh"
pid=$(cat "$state/wrangler.pid")
for _ in $(seq 1 240); do
  if health; then
    echo "restart: runtime ready again (wrangler $pid)" >&2
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.25
done
echo "restart: the runtime did not become ready again" >&2
exit 1
RESTART
chmod +x "$state/restart-runtime.sh"
export DEALGATE_RESTART="$state/restart-runtime.sh"

driver_port=$(free_port)
setsid chromedriver --port="$driver_port" --allowed-ips=127.0.0.1 < /dev/null > "$logs/chromedriver.log" 2>&1 &
pids+=("$!")

export DEALGATE_URL="http://127.0.0.1:$port"
export WEBDRIVER_URL="http://127.0.0.1:$driver_port"
export DEALGATE_TMP="$state/tmp"
# Where the runtime keeps its local D1, for tests that age a session directly.
export DEALGATE_STATE="$state/wrangler"
mkdir -p "$DEALGATE_TMP"

ready=""
for _ in $(seq 1 120); do
  if probe "$DEALGATE_URL/api/health"; then ready=yes; break; fi
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.5
done
[ -n "$ready" ] || { echo "the local runtime did not become ready" >&2; exit 1; }
for _ in $(seq 1 40); do
  probe "$WEBDRIVER_URL/status" && break
  sleep 0.25
done
echo "runtime ready at $DEALGATE_URL, webdriver at $WEBDRIVER_URL"

"$@"
