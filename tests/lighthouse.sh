#!/usr/bin/env bash
# `make bench`: Lighthouse (npm, pinned in package.json) with the local
# Chromium and no network, in its default mobile profile (simulated slow 4G
# and a 4x slower CPU), on the sign-in page, the board, the deal list and an
# open deal's page (its checklist), signed in as the demo rep (the session
# cookie sent as a header on every request). Prints the performance, accessibility and
# best-practices scores of each; the full reports stay in $DEALGATE_TMP.
# Run under tests/with-runtime.sh (DEALGATE_URL, DEALGATE_TMP).
set -euo pipefail
: "${DEALGATE_URL:?run under tests/with-runtime.sh}"
tmp=${DEALGATE_TMP:-$(mktemp -d)}
chromium=${CHROME_PATH:-$(command -v chromium)}

cookie=$(curl -sS -D - -o /dev/null -H 'content-type: application/json' \
  -d '{"email":"rep@example.com","password":"dealgate-demo"}' \
  "$DEALGATE_URL/api/auth/login" | tr -d '\r' | sed -n 's/^set-cookie: \(dg_session=[^;]*\).*/\1/Ip')
[ -n "$cookie" ] || { echo "lighthouse: the demo rep could not sign in" >&2; exit 1; }
deal=$(curl -sS -H "cookie: $cookie" "$DEALGATE_URL/api/opportunities?limit=1&status=open" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items[0].id))')

for path in /login / /opportunities "/opportunities/$deal"; do
  name=$(echo "$path" | tr -c 'a-z0-9\n' '_')
  report="$tmp/lighthouse$name.json"
  headers='{}'
  # The sign-in page as a visitor sees it; the others signed in.
  [ "$path" = /login ] || headers="{\"Cookie\":\"$cookie\"}"
  CHROME_PATH=$chromium lighthouse "$DEALGATE_URL$path" --quiet \
    --only-categories=performance,accessibility,best-practices \
    --extra-headers="$headers" --output=json --output-path="$report" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=$tmp/lighthouse-profile$name"
  node -e '
    const r = require(process.argv[1]);
    const s = (k) => Math.round(r.categories[k].score * 100);
    const failed = Object.values(r.audits)
      .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === "binary")
      .map((a) => a.id);
    // The metrics the performance score weighs, each with its own score.
    const m = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
               "cumulative-layout-shift", "speed-index"]
      .map((id) => `${id.split("-").map((w) => w[0].toUpperCase()).join("")} ${r.audits[id].displayValue} (${Math.round(r.audits[id].score * 100)})`)
      .join(", ");
    console.log(`lighthouse ${process.argv[2]}: performance ${s("performance")}, accessibility ${s("accessibility")}, best practices ${s("best-practices")} (${m}${failed.length ? "; failing: " + failed.join(", ") : ""})`);
  ' "$report" "$path"
done
