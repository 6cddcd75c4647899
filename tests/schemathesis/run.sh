#!/usr/bin/env bash
# schemathesis over every operation of Dealgate's OpenAPI document, against a
# running Dealgate (normally the local runtime of tests/with-runtime.sh, which
# sets DEALGATE_URL), once per role: anonymous, channel, rep, manager, admin.
# Each run checks every response for server errors, documented status codes,
# documented content types and conformance to the response schema. Exits
# non-zero when any run finds a failure; a failure prints the request that
# reproduces it (curl). Ends with the total number of generated test cases.
#
# Before each role's run, fixtures.py makes real records through the API
# (leads, a converted lead's deal, registrations and the deals approving them
# makes, users for the admin) and finds the seed's (DEALGATE_PRESEED), and
# writes a schemathesis config file that gives their ids to the operations'
# path parameters (most cases; the rest keep a random id), so the handlers
# behind /api/leads/{id}, /api/opportunities/{id}/..., /api/registrations/{id}/...
# get past the record lookup to their validation and rules.
#
#   tests/with-runtime.sh tests/schemathesis/run.sh
#   DEALGATE_PRESEED='target/debug/seed --into "$DEALGATE_D1_FILE"' tests/with-runtime.sh tests/schemathesis/run.sh
#
# Env:
#   DEALGATE_URL            base URL of the running Dealgate (required)
#   DEALGATE_OPENAPI        a schema file to use instead of $DEALGATE_URL/api/openapi.json
#   SCHEMATHESIS_EXAMPLES   max cases per operation in the fuzzing phase, per role (default 5)
#   SCHEMATHESIS_SEED       the seed every run starts from (default 15): same seed, same cases
#   SCHEMATHESIS_ROLES      which roles to run (default "anonymous channel rep manager admin")
#   SCHEMATHESIS_COVERAGE_ROLES  roles that also run the coverage phase (default "admin"; see below)
#   SCHEMATHESIS_WORKERS    concurrent workers per run (default 2)
#   SCHEMATHESIS_MIN_CASES  fail when fewer cases than this ran in total (default 1000)
#   SCHEMATHESIS_ID_PROBABILITY  share of cases whose path ids are real records (default 0.85)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

: "${DEALGATE_URL:?set DEALGATE_URL (tests/with-runtime.sh does), e.g. http://127.0.0.1:8787}"
examples=${SCHEMATHESIS_EXAMPLES:-5}
seed=${SCHEMATHESIS_SEED:-15}
roles=${SCHEMATHESIS_ROLES:-anonymous channel rep manager admin}
coverage_roles=${SCHEMATHESIS_COVERAGE_ROLES:-admin}
workers=${SCHEMATHESIS_WORKERS:-2}
min_cases=${SCHEMATHESIS_MIN_CASES:-1000}

# The pinned install; a no-op when target/schemathesis-venv is up to date.
tests/schemathesis/install.sh
st="$root/target/schemathesis-venv/bin/schemathesis"

if [ -n "${DEALGATE_OPENAPI:-}" ]; then
  schema=$(realpath "$DEALGATE_OPENAPI")
else
  schema="$DEALGATE_URL/api/openapi.json"
fi

# Reports, crash files and Hypothesis' caches go under target/schemathesis/,
# one fresh folder per role (schemathesis and Hypothesis write into their
# working directory; a stale crash cache would also make runs differ).
out="$root/target/schemathesis"
rm -rf "$out"
mkdir -p "$out"

# Which demo account each role signs in as is in hooks.py. Each role signs in
# from its own client address (198.51.100.7x) and sends its fuzzed requests
# from another (198.51.100.8x), so the fuzzer's junk sign-ins never throttle
# the harness' own; fixtures.py makes its records from a third (198.51.100.9x:
# the public registration form counts submissions per address).
declare -A role_ip=([admin]=1 [manager]=2 [rep]=3 [channel]=4 [anonymous]=5)

export SCHEMATHESIS_HOOKS="$root/tests/schemathesis/hooks.py"
export DEALGATE_URL
py="$root/target/schemathesis-venv/bin/python"

# fixtures.py reads the document to spread its ids over the operations.
if [ -n "${DEALGATE_OPENAPI:-}" ]; then
  cp "$schema" "$out/openapi.json"
else
  "$py" -c 'import requests, sys; r = requests.get(sys.argv[1], timeout=30); r.raise_for_status(); open(sys.argv[2], "wb").write(r.content)' \
    "$schema" "$out/openapi.json"
fi
export DEALGATE_OPENAPI_FILE="$out/openapi.json"

total=0
failed=()
started=$SECONDS

# One schemathesis process: run_st ROLE PHASES CONFIG DIR. Adds its case
# count to $total, its failure to $failed.
run_st() {
  local role=$1 phases=$2 config=$3 dir=$4 n=${role_ip[$1]} status=0 cases
  # --checks: the four the issue asks for, every response.
  # --seed + --generation-database none: the same cases on every run (no
  #   examples replayed from earlier runs; the records' ids differ from run
  #   to run, the draws do not); change SCHEMATHESIS_SEED to explore.
  # --max-examples: per operation, the fuzzing phase's size (and the stateful
  #   phase's number of scenarios).
  # --workers 2: the machine's two cores (workerd takes the rest of the time).
  # --config-file: the records fixtures.py made, as values for the path
  #   parameters (see fixtures.py).
  # --report json: the case count below is read from it.
  (
    cd "$dir" &&
    DEALGATE_ROLE=$role DEALGATE_AUTH_IP="198.51.100.7$n" \
      "$st" --config-file "$config" run "$schema" \
      --url "$DEALGATE_URL" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --phases "$phases" \
      --max-examples "$examples" \
      --seed "$seed" \
      --generation-database none \
      --workers "$workers" \
      --request-timeout 30 \
      --header "cf-connecting-ip: 198.51.100.8$n" \
      --report junit,json \
      --report-dir "$dir" \
      --report-junit-path "$dir/junit.xml" \
      --report-json-path "$dir/report.json"
  ) || status=$?
  if [ "$status" -ne 0 ]; then
    failed+=("$role $phases (exit $status)")
  fi
  if [ -f "$dir/report.json" ]; then
    cases=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["test_cases"]["generated"])' "$dir/report.json")
    echo "=== $role ($phases): $cases test cases, exit $status ==="
    # The operations whose valid cases mostly got a 404 (what fixtures.py is for).
    "$py" -c '
import json, sys
report = json.load(open(sys.argv[1]))
mostly = sorted(
    op for op, phases in report.get("valid_rates", {}).items()
    if (lambda r: r["unreachable"] * 2 > sum(r.values()))(
        {k: sum(p[k] for p in phases.values()) for k in ("accepted", "unreachable", "conflicts", "rejected")})
)
print(f"=== {sys.argv[2]}: valid cases mostly 404 on {len(mostly)} operation(s)" + (": " + ", ".join(mostly) if mostly else ""))
' "$dir/report.json" "$role ($phases)"
    total=$((total + cases))
  else
    echo "=== $role ($phases): no report (exit $status) ===" >&2
  fi
}

# Real records for ROLE's run, made through the API: fixtures ROLE DIR.
fixtures() {
  DEALGATE_FIXTURES_IP="198.51.100.9${role_ip[$1]}" "$py" "$root/tests/schemathesis/fixtures.py" "$1" "$2"
}

for role in $roles; do
  : "${role_ip[$role]:?"unknown role $role (expected: ${!role_ip[*]})"}"
  dir="$out/$role"
  mkdir -p "$dir"
  echo
  echo "=== schemathesis as $role ==="
  # The examples, fuzzing and stateful phases: random valid and invalid
  # requests with the role's session; most path ids are real records of
  # fixtures.py (drawn from its dictionaries), the rest random.
  fixtures "$role" "$dir"
  run_st "$role" examples,fuzzing,stateful "$dir/schemathesis.toml" "$dir"
  # The coverage phase sends every boundary and invalid value the schema
  # implies (schemathesis: "every case the schema defines"; --max-examples
  # does not bound it): ~2,900 requests and 40-70 s per role here. Only
  # the admin passes the role check of every route, so only the admin's run
  # reaches every handler's validation; other roles would mostly get the same
  # 401/403 again. It takes no dictionaries, so it gets fresh records of its
  # own and one fixed real id per operation (coverage.toml), in a process of
  # its own, after the other phases.
  if [[ " $coverage_roles " == *" $role "* ]]; then
    mkdir -p "$dir/coverage"
    fixtures "$role" "$dir/coverage"
    run_st "$role" coverage "$dir/coverage/coverage.toml" "$dir/coverage"
  fi
done

echo
echo "schemathesis: $total test cases as: $roles (seed $seed; coverage phase as: $coverage_roles; fuzzing: up to $examples per operation; records: fixtures.py) in $((SECONDS - started)) s"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "schemathesis FAILED as: ${failed[*]}" >&2
  echo "Each failure above has its 'Reproduce with: curl ...' (the session cookie shows as [Filtered]:" >&2
  echo "sign in first with POST /api/auth/login). Reports and crash files: $out/<role>/ (coverage: $out/<role>/coverage/;" >&2
  echo "the records' ids those runs used: fixtures.json there)" >&2
  echo "(replay one with: cd $out/<role> && $st replay <Test Case ID>)" >&2
  exit 1
fi
if [ "$total" -lt "$min_cases" ]; then
  echo "schemathesis: only $total test cases, fewer than SCHEMATHESIS_MIN_CASES=$min_cases" >&2
  exit 1
fi
echo "schemathesis: no failures"
