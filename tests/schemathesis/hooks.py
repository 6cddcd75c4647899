"""schemathesis hooks for Dealgate (loaded via SCHEMATHESIS_HOOKS by run.sh).

One schemathesis process runs per role; run.sh tells this file which one:

  DEALGATE_URL       the runtime's base URL (tests/with-runtime.sh sets it)
  DEALGATE_ROLE      admin | manager | rep | channel | anonymous
  DEALGATE_AUTH_IP   the `cf-connecting-ip` this file signs in from

Signing in: an auth provider posts the demo user's credentials to
/api/auth/login and puts the `dg_session` cookie it gets on every generated
request. The fuzzer itself calls /api/auth/logout with that cookie (ending the
session) and /api/auth/login with junk, so:

- the provider signs in from its own client address (DEALGATE_AUTH_IP), never
  the one the fuzzed requests use, so the sign-in throttle's per-address
  count of the fuzzer's junk never blocks it;
- a 401 on any request makes schemathesis drop the cached session, call
  `get` again (a fresh sign-in) and replay that request once (`retry_on`);
  a session also lives at most REFRESH_SECONDS;
- the throttle also counts failures per e-mail (5 per 15 minutes), so a
  fuzzed sign-in that names a demo account with a wrong password is sent for
  a look-alike address instead (see `before_call`): otherwise a few of them
  would lock the demo accounts out of this and the following runs.

A write's body `version` (the optimistic lock) is random, so almost every
write to a real record (fixtures.py) would stop at a stale 409: for half of
the writes to a lead, deal or pipeline, `before_call` reads the record and
sends its current version instead (DEALGATE_CURRENT_VERSION_SHARE).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import sys
from urllib.parse import quote

import requests
import schemathesis

BASE_URL = os.environ["DEALGATE_URL"].rstrip("/")
ROLE = os.environ.get("DEALGATE_ROLE", "anonymous")
AUTH_IP = os.environ.get("DEALGATE_AUTH_IP", "198.51.100.70")

PASSWORD = "dealgate-demo"
COOKIE = "dg_session"
# The seeded demo accounts (server/seed/dev.sql).
DEMO_ACCOUNTS = {
    "admin": "admin@example.com",
    "manager": "manager@example.com",
    "rep": "rep@example.com",
    "rep2": "rep2@example.com",
    "channel": "channel@example.com",
}
REFRESH_SECONDS = 120

if ROLE != "anonymous" and ROLE not in DEMO_ACCOUNTS:
    raise ValueError(f"DEALGATE_ROLE={ROLE!r}: expected anonymous or one of {sorted(DEMO_ACCOUNTS)}")


# How many times this run signed in, printed at exit: more than once means
# the fuzzer ended the session and the provider signed in again. (schemathesis
# calls `get` under a lock, so the count needs none.)
sign_ins = 0


def sign_in(email: str) -> str:
    """Signs `email` in from AUTH_IP; answers the session cookie's value."""
    global sign_ins
    sign_ins += 1
    response = requests.post(
        f"{BASE_URL}/api/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"cf-connecting-ip": AUTH_IP},
        timeout=30,
    )
    token = response.cookies.get(COOKIE)
    if response.status_code != 200 or not token:
        raise RuntimeError(
            f"signing in {email} from {AUTH_IP} answered {response.status_code}: {response.text[:300]}"
        )
    return token


if ROLE != "anonymous":
    atexit.register(lambda: print(f"hooks.py: signed in as {ROLE} {sign_ins} time(s)", file=sys.stderr))

    @schemathesis.auth(refresh_interval=REFRESH_SECONDS, retry_on=[401])
    class DealgateSession:
        """The role's session cookie on every request (a browser sends it everywhere too)."""

        def get(self, case, context):
            return sign_in(DEMO_ACCOUNTS[ROLE])

        def set(self, case, data, context):
            case.cookies = {**(case.cookies or {}), COOKIE: data}


# The share of writes to a lead, deal or pipeline whose body `version` is
# set to the record's current one (read just before), so they get past the
# optimistic lock (a stale 409) to the rules; the rest keep the fuzzed one.
CURRENT_VERSION_SHARE = float(os.environ.get("DEALGATE_CURRENT_VERSION_SHARE", "0.5"))
# Where each record's current version is read, by the operation's path prefix.
RECORD_READS = {
    "/api/leads/{id}": "/api/leads/{}",
    "/api/opportunities/{id}": "/api/opportunities/{}",
    "/api/admin/pipelines/{id}": "/api/admin/pipelines/{}",
}


def current_version(case) -> None:
    """Sets a write's body `version` to its record's current one (for CURRENT_VERSION_SHARE of them)."""
    body = case.body
    if case.operation.method.upper() == "GET" or not isinstance(body, dict):
        return
    version = body.get("version")
    # Only a well-typed version: a negative case about `version` stays as fuzzed.
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return
    read = next((r for prefix, r in RECORD_READS.items() if case.operation.path.startswith(prefix)), None)
    record_id = (case.path_parameters or {}).get("id")
    token = (case.cookies or {}).get(COOKIE)
    if read is None or not isinstance(record_id, str) or not token:
        return
    # The same case picks the same way on every run (the seed's promise).
    key = json.dumps([case.operation.label, body], sort_keys=True, default=str)
    if hashlib.sha256(key.encode()).digest()[0] >= CURRENT_VERSION_SHARE * 256:
        return
    try:
        response = requests.get(
            BASE_URL + read.format(quote(record_id, safe="")),
            cookies={COOKIE: token},
            headers={"cf-connecting-ip": AUTH_IP},
            timeout=30,
        )
        current = response.json().get("version") if response.status_code == 200 else None
    except (requests.RequestException, ValueError, AttributeError):
        return
    if isinstance(current, int) and current != version:
        case.body = {**body, "version": current}


@schemathesis.hook
def before_call(context, case, kwargs):
    """Keeps fuzzed wrong-password sign-ins off the demo accounts (see the module's doc),
    and gives part of the writes their record's current version (see `current_version`)."""
    current_version(case)
    if case.operation.method.upper() != "POST" or case.operation.path != "/api/auth/login":
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("email"), str):
        return
    # The server compares e-mails trimmed and lower-cased.
    if body["email"].strip().lower() in DEMO_ACCOUNTS.values() and body.get("password") != PASSWORD:
        case.body = {**body, "email": "fuzz." + body["email"].strip()}
