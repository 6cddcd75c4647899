"""Real records for one role's schemathesis run (run.sh runs this before each role).

Every id schemathesis generates for a path is random, so without help the
handlers behind /api/leads/{id}, /api/opportunities/{id}/..., /api/registrations/{id}/...,
/api/admin/pipelines/{id}, /api/admin/users/{id} and /api/public/registrations/{reference}
almost never get past their record lookup (a 404). This script makes fresh
records through the API, finds existing ones (the seed's deals and leads, when
the runtime was seeded), and writes a schemathesis config file that feeds their
ids to those operations: a dictionary per kind of id, bound to each path
parameter with a probability below 1, so part of the cases keep a random id
(the 404 path stays tested).

    python fixtures.py ROLE OUT_DIR

writes OUT_DIR/schemathesis.toml (the examples, fuzzing and stateful phases:
dictionaries) and OUT_DIR/coverage.toml (the coverage phase, which takes no
dictionaries: one fixed real id per operation, spread over the records), and
OUT_DIR/fixtures.json (what it made, for the reader).

Which records each role gets (the ids that role can reach, plus a few it
cannot, so the record-level rules answer too):

  rep        its own leads and deals (fresh ones and seeded ones it owns), one
             lead and one deal of rep2's
  manager,
  admin      any lead and deal; the admin also the pipelines, the
             registrations and users made for the run (never a demo account:
             the fuzzer would deactivate or re-role it)
  channel    the registrations made for the run; a deal it is staffed on (as
             legal) and one it is not
  anonymous  public registration references

Env: DEALGATE_URL (required), DEALGATE_FIXTURES_IP (the client address the
setup's requests come from; default 198.51.100.90), SCHEMATHESIS_ID_PROBABILITY
(how often a bound parameter takes a real value; default 0.85).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import requests

BASE_URL = os.environ["DEALGATE_URL"].rstrip("/")
SETUP_IP = os.environ.get("DEALGATE_FIXTURES_IP", "198.51.100.90")
PROBABILITY = float(os.environ.get("SCHEMATHESIS_ID_PROBABILITY", "0.85"))
PASSWORD = "dealgate-demo"
ROLES = ("anonymous", "channel", "rep", "manager", "admin")


class SetupError(RuntimeError):
    pass


class Client:
    """One account's session (or none), every request from SETUP_IP."""

    def __init__(self, email: str | None = None):
        self.s = requests.Session()
        self.s.headers["cf-connecting-ip"] = SETUP_IP
        if email:
            self.call("POST", "/api/auth/login", {"email": email, "password": PASSWORD})

    def call(self, method: str, path: str, body=None, expect=(200, 201)):
        r = self.s.request(method, BASE_URL + path, json=body, timeout=30)
        if r.status_code not in expect:
            raise SetupError(f"{method} {path} answered {r.status_code}: {r.text[:400]}")
        return r.json() if r.content else None


def log(msg: str) -> None:
    print(f"fixtures: {msg}", file=sys.stderr)


def field_value(field: dict):
    """A valid value of a required field (as shared/src/sample.rs `field_value`)."""
    kind = field["kind"]
    if kind in ("text", "long_text"):
        return f"{field['key']} (fuzz fixture)"
    if kind == "money":
        return 100_000_000
    if kind == "date":
        return "2030-06-28"
    if kind == "select":
        return (field.get("options") or [""])[0]
    if kind == "bool":
        return True
    if kind == "user":
        return "u_rep"
    if kind == "url":
        return "https://example.com/doc"
    raise SetupError(f"unknown field kind {kind!r}")


def main() -> int:
    role, out_dir = sys.argv[1], Path(sys.argv[2])
    if role not in ROLES:
        raise SetupError(f"unknown role {role!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = f"{role}-{int(time.time())}"

    rep = Client("rep@example.com")
    rep2 = Client("rep2@example.com")
    manager = Client("manager@example.com")
    channel = Client("channel@example.com")
    admin = Client("admin@example.com")
    public = Client()

    config = rep.call("GET", "/api/config")
    pipelines = config["pipelines"]
    pipeline = pipelines[0]
    verify = pipeline["stages"][0]
    lead_tasks = sorted({t["key"] for p in pipelines for t in p["stages"][0]["required_tasks"]})
    deal_tasks = sorted({t["key"] for p in pipelines for s in p["stages"] for t in s["required_tasks"]})
    approvals = sorted({x["key"] for p in pipelines for s in p["stages"] for x in s["processes"]})

    # Leads: one new, one being worked (stage-1 fields filled, a task ticked),
    # one converted into a deal (below); and one of rep2's.
    def new_lead(client: Client, n: int, owner: str | None = None) -> dict:
        body = {
            "title": f"Fuzz fixture lead {n} {tag}",
            "customer": f"Fixture Customer {n} {tag}",
            "description": "made by tests/schemathesis/fixtures.py",
            "contact": {"name": "Fixture Contact", "phone": "+86 138 0013 8000", "email": "fixture@example.com"},
            "source": "fuzz",
            "pipeline": pipeline["id"],
        }
        if owner:
            body["owner_id"] = owner
        return client.call("POST", "/api/leads", body)

    fresh = new_lead(rep, 1)
    worked = new_lead(rep, 2)
    worked = rep.call(
        "PATCH",
        f"/api/leads/{worked['id']}",
        {"version": worked["version"], "fields": {f["key"]: field_value(f) for f in verify["required_fields"]}},
    )
    to_convert = new_lead(rep, 3)
    to_convert = rep.call(
        "PATCH",
        f"/api/leads/{to_convert['id']}",
        {"version": to_convert["version"], "fields": {f["key"]: field_value(f) for f in verify["required_fields"]}},
    )
    for t in verify["required_tasks"]:
        to_convert = rep.call(
            "POST", f"/api/leads/{to_convert['id']}/tasks/{t['key']}", {"done": True, "version": to_convert["version"]}
        )
        if t is verify["required_tasks"][0]:
            worked = rep.call(
                "POST", f"/api/leads/{worked['id']}/tasks/{t['key']}", {"done": True, "version": worked["version"]}
            )
    converted_deal = rep.call(
        "POST",
        f"/api/leads/{to_convert['id']}/convert",
        {"lead_by": "us", "amount": 150_000_000, "expected_close": "2030-06-28", "version": to_convert["version"]},
    )
    others_lead = new_lead(rep2, 4)
    own_leads = [fresh["id"], worked["id"], to_convert["id"]]

    # Registrations, submitted anonymously: one approved for rep (a deal in
    # stage 2), one approved for rep2, the rest left for the fuzzer to decide.
    def submit(n: int) -> tuple[str, str]:
        title = f"Fuzz fixture project {n} {tag}"
        receipt = public.call(
            "POST",
            "/api/public/registrations",
            {
                "partner_company": "Fixture Partner Ltd",
                "partner_contact": "Partner Contact",
                "partner_email": "partner@example.com",
                "partner_phone": "+86 139 0013 9000",
                "customer_company": f"Fixture Registered Customer {n} {tag}",
                "project_title": title,
                "description": "made by tests/schemathesis/fixtures.py",
                "amount": 80_000_000,
                "expected_close": "2030-06-28",
                "website": "",
            },
        )
        return title, receipt["reference"]

    submitted = [submit(n) for n in range(1, 5)]
    references = [ref for _, ref in submitted]
    queue = channel.call("GET", "/api/registrations?status=submitted")["items"]
    by_title = {item["project_title"]: item for item in queue}
    registrations = [by_title[title] for title, _ in submitted]
    approved = channel.call(
        "POST",
        f"/api/registrations/{registrations[0]['id']}/approve",
        {"owner_id": "u_rep", "version": registrations[0]["version"]},
    )
    others_deal = channel.call(
        "POST",
        f"/api/registrations/{registrations[1]['id']}/approve",
        {"owner_id": "u_rep2", "version": registrations[1]["version"]},
    )
    registration_ids = [r["id"] for r in registrations]

    # Deals: the approved registration's (channel staffed on it as legal, and
    # an approval waiting for the manager) and the converted lead's.
    own_deals = [approved["id"], converted_deal["id"]]
    team = [{"role": "legal", "user_id": "u_channel"}, {"role": "presales", "user_id": "u_rep2"}]
    approved = manager.call("PUT", f"/api/opportunities/{approved['id']}/team", {"members": team, "version": approved["version"]})
    stage = next(s for p in pipelines if p["id"] == approved["pipeline"] for s in p["stages"] if s["key"] == approved["stage"])
    for process in stage["processes"]:
        try:
            approved = rep.call(
                "POST",
                f"/api/opportunities/{approved['id']}/approvals/{process['key']}/request",
                {"version": approved["version"]},
            )
        except SetupError as e:
            log(f"(no approval waiting: {e})")

    # What the seed (tests/src/bin/seed.rs, DEALGATE_PRESEED) made, if it ran:
    # a few of rep's deals and leads, open ones first, and the others'.
    listed = rep.call("GET", "/api/opportunities?limit=100")["items"]
    seeded_own_deals = [o["id"] for o in sorted(listed, key=lambda o: o.get("status") != "open") if o["owner_id"] == "u_rep" and o["id"] not in own_deals][:6]
    listed = manager.call("GET", "/api/opportunities?limit=100")["items"]
    seeded_other_deals = [o["id"] for o in listed if o["owner_id"] != "u_rep" and o["id"] != others_deal["id"]][:4]
    listed = rep.call("GET", "/api/leads?limit=100")["items"]
    seeded_own_leads = [lead["id"] for lead in listed if lead["owner_id"] == "u_rep" and lead["id"] not in own_leads][:4]

    all_leads = own_leads + seeded_own_leads + [others_lead["id"]]
    all_deals = own_deals + seeded_own_deals + [others_deal["id"]] + seeded_other_deals

    # Admin-only records: the pipelines, and users made for the fuzzer to edit.
    pipeline_ids = [p["id"] for p in admin.call("GET", "/api/admin/pipelines")["items"]] if role == "admin" else []
    user_ids = []
    if role == "admin":
        for n, roles in enumerate((["rep"], ["manager"], ["channel"])):
            user = admin.call(
                "POST",
                "/api/admin/users",
                {"email": f"fuzz.user{n}.{tag}@example.com", "name": f"Fuzz user {n}", "password": "fuzz-fixture-pw", "roles": roles},
            )
            user_ids.append(user["id"])

    ids: dict[str, list] = {
        "references": references,
        "versions": [1, 2, 3, 4, 5, 6, 7],
        "lead_tasks": lead_tasks,
        "deal_tasks": deal_tasks,
        "approvals": approvals,
    }
    if role == "rep":
        ids["leads"] = all_leads
        ids["deals"] = own_deals + seeded_own_deals + [others_deal["id"]]
    elif role in ("manager", "admin"):
        ids["leads"] = all_leads
        ids["deals"] = all_deals
    if role == "channel":
        ids["deals"] = [approved["id"], others_deal["id"]]
    if role in ("channel", "admin"):
        ids["registrations"] = registration_ids
    if role == "admin":
        ids["pipelines"] = pipeline_ids
        ids["users"] = user_ids

    (out_dir / "fixtures.json").write_text(json.dumps(ids, indent=2) + "\n")
    write_configs(role, ids, out_dir)
    log(
        f"as {role}: "
        + ", ".join(f"{len(v)} {k}" for k, v in ids.items() if k not in ("versions",))
        + f" -> {out_dir}/schemathesis.toml"
    )
    return 0


# Which path parameters take which ids: (path regex, {parameter: dictionary}).
BINDINGS = [
    (r"^/api/leads/\{id\}/tasks/", {"id": "leads", "key": "lead_tasks"}),
    (r"^/api/leads/\{id\}", {"id": "leads"}),
    (r"^/api/opportunities/\{id\}/tasks/", {"id": "deals", "key": "deal_tasks"}),
    (r"^/api/opportunities/\{id\}/approvals/", {"id": "deals", "key": "approvals"}),
    (r"^/api/opportunities/\{id\}", {"id": "deals"}),
    (r"^/api/registrations/\{id\}", {"id": "registrations"}),
    (r"^/api/public/registrations/\{reference\}", {"reference": "references"}),
    (r"^/api/admin/pipelines/\{id\}", {"id": "pipelines"}),
    (r"^/api/admin/users/\{id\}", {"id": "users"}),
]


def toml_str(value) -> str:
    # JSON strings and numbers are valid TOML basic strings and numbers.
    return json.dumps(value)


def write_configs(role: str, ids: dict[str, list], out_dir: Path) -> None:
    header = f"# Generated by tests/schemathesis/fixtures.py for the {role} run; see that file.\n"

    # Fuzzing, examples, stateful: dictionaries, drawn with PROBABILITY.
    lines = [header]
    for name, values in ids.items():
        if values:
            lines.append(f"[dictionaries.{name}]\nvalues = [{', '.join(toml_str(v) for v in values)}]\n")
    # A body's `version` (the optimistic lock of every write) is random
    # otherwise: a stale 409 before any rule is asked.
    lines.append('[parameters]\n"body.version" = { dictionary = "versions", probability = 0.5 }\n')
    for regex, params in BINDINGS:
        bound = {p: d for p, d in params.items() if ids.get(d)}
        if not bound:
            continue
        inline = ", ".join(
            f'"path.{p}" = {{ dictionary = "{d}", probability = {PROBABILITY} }}' for p, d in bound.items()
        )
        # TOML literal string: the regex' backslashes stay as they are.
        lines.append(f"[[operations]]\ninclude-path-regex = '{regex}'\nparameters = {{ {inline} }}\n")
    (out_dir / "schemathesis.toml").write_text("\n".join(lines))

    # Coverage: no dictionaries there, only fixed values; one id per
    # operation, taken in turn from the list so the operations spread over
    # the records (one closing a deal does not close every other's).
    schema = json.loads(Path(os.environ["DEALGATE_OPENAPI_FILE"]).read_text()) if os.environ.get("DEALGATE_OPENAPI_FILE") else None
    lines = [header]
    if schema is not None:
        import re

        turn: dict[str, int] = {}
        for path, item in schema["paths"].items():
            for method in ("get", "put", "post", "patch", "delete"):
                op = item.get(method)
                if not op:
                    continue
                for regex, params in BINDINGS:
                    if not re.search(regex, path):
                        continue
                    fixed = {}
                    for p, d in params.items():
                        values = ids.get(d)
                        if values and "{" + p + "}" in path:
                            i = turn.get(d, 0)
                            turn[d] = i + 1
                            fixed[p] = values[i % len(values)]
                    if fixed:
                        inline = ", ".join(f'"path.{p}" = {toml_str(v)}' for p, v in fixed.items())
                        lines.append(
                            f"[[operations]]\ninclude-operation-id = {toml_str(op['operationId'])}\nparameters = {{ {inline} }}\n"
                        )
                    break
    (out_dir / "coverage.toml").write_text("\n".join(lines))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (SetupError, requests.RequestException, KeyError, StopIteration) as e:
        log(f"setting up records failed: {e!r}")
        sys.exit(1)
