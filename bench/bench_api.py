"""Check-ins per second through the JSON API with 16 concurrent clients, p50/p99; afterwards every
acknowledged check-in must be in the database once.

Baselines, in the same run: a bare route on the same server stack doing the same SQL writes without our
layers (`bench/bare_checkins.py`, gevent mode: the ratio that must reach 0.6), and the same server's
trivial GET /health (for information).

Measured in gevent mode (the server a city runs for many screens, DESIGN.md; keep-alive connections)
and, for information, in threading mode (run.py's default: Werkzeug's development server, which
answers every request with `Connection: close`)."""
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .harness import ROOT, Skip, free_port, get, load, median, prepare_db, raise_nofile, running_server
from .table import Row, fmt, ms, verdict

WHAT = "check-ins/s through the API, 16 clients (p50/p99)"
MODES = ("gevent", "threading")
TARGET = "≥ 400/s, p99 ≤ 50 ms, ratio ≥ 0.6"
THREADING_TARGET = "≥ 400/s, p99 ≤ 50 ms, ratio ≥ 0.5"  # against /health: the bare route is gevent's stack


def checkins_path(server):
    """The check-in route from the server's own OpenAPI document, or Skip."""
    status, body = get(server.url + "/api/v1/openapi.json")
    paths = json.loads(body)["paths"] if status == 200 else {}
    for path, ops in paths.items():
        if path.endswith("/checkins") and "post" in ops:
            return "/api/v1" + path
    raise Skip("POST /api/v1/shelters/{ref}/checkins is not in the API yet (check-in issue 3)")


def household(i):
    """A small household as the desk registers it and checks it in at once (two persons)."""
    return {"household": {"address": "鎌倉市御成町1-1", "phone": f"090{i:08d}"[:11], "staying": "shelter"},
            "persons": [{"name": f"ベンチ 太郎{i}", "kana": "ベンチ タロウ", "sex": "male", "age": 40},
                        {"name": f"ベンチ 花子{i}", "kana": "ベンチ ハナコ", "sex": "female", "age": 9}],
            "status": "checked_in"}


def acknowledged_once(db_path, keys):
    """How many of these Idempotency-Keys are NOT recorded exactly once in the event log (0 is
    right). The API scopes a key as `api:<operation>:<user>:<key>`, so match by the suffix."""
    from shelter_ops.db import connect

    db = connect(str(db_path))
    try:
        seen = {}
        for (event_id,) in db.execute("select op from events where op like 'api:%' and kind = 'household.registered'"):
            suffix = event_id.rsplit(":", 1)[-1]
            seen[suffix] = seen.get(suffix, 0) + 1
        return sum(seen.get(key, 0) != 1 for key in keys)
    finally:
        db.close()


def present_total(db_path):
    from shelter_ops.db import connect
    from shelter_ops.domain import households

    db = connect(str(db_path))
    try:
        return sum(v.get("total", 0) for v in households.present_counts(db).values())
    finally:
        db.close()


class BareServer:
    """bench/bare_checkins.py on a database prepared like the app's (the same tables and indexes)."""

    def __enter__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="shelter-bare-")
        self.db_path = Path(self.tmp.name) / "bare.sqlite"
        prepare_db(self.db_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.bare_checkins", str(self.port), str(self.db_path)],
                                     cwd=str(ROOT), preexec_fn=lambda: raise_nofile(8192))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(self.url + "/health")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("the bare check-in server did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)
        self.tmp.cleanup()


def run(smoke=False, runs=3):
    return [row for mode in MODES for row in run_mode(mode, smoke, runs)]


def run_mode(mode, smoke=False, runs=3):
    what = f"{WHAT}, {mode} mode" + (" (run.py's default)" if mode == "threading" else "")
    total = 60 if smoke else 2000
    clients = 4 if smoke else 16
    health_rates, health_p99, bare_rates, bare_p99, rates, p50s, p99s = [], [], [], [], [], [], []
    missing = failures = 0
    with running_server(async_mode=mode) as (server, info), \
            (BareServer() if mode == "gevent" else _NoBare()) as bare:
        try:
            path = checkins_path(server)
        except Skip as skip:
            base = load(server.url, lambda i: ("GET", "/health", None, {}), clients=clients, total=total)
            return [Row(what, "—", f"GET /health {fmt(base['rate'], '/s')} (p99 {ms(base['p99'])})", "—", TARGET,
                        "skipped", str(skip))]
        ref = info["shelters"][0]["kyotsu_id"]
        for name in ("{ref}", "{id}", "{shelter}", "{shelter_ref}"):
            path = path.replace(name, ref)
        for _ in range(runs):
            base = load(server.url, lambda i: ("GET", "/health", None, {}), clients=clients, total=total,
                        token=info["token"])
            health_rates.append(base["rate"])
            health_p99.append(base["p99"])
            if bare is not None:
                got = load(bare.url, lambda i: ("POST", "/checkins", household(i), {"Idempotency-Key": str(i)}),
                           clients=clients, total=total)
                failures += sum(status != 201 for _i, status, _b in got["results"]) + len(got["errors"])
                bare_rates.append(got["rate"])
                bare_p99.append(got["p99"])
            keys = {}

            def make(i):
                key = str(uuid.uuid4())
                keys[i] = key
                return "POST", path, household(i), {"Idempotency-Key": key}

            got = load(server.url, make, clients=clients, total=total, token=info["token"])
            acked = [keys[i] for i, status, _body in got["results"] if status in (200, 201)]
            failures += len(got["results"]) - len(acked) + len(got["errors"])
            missing += acknowledged_once(server.db_path, acked)
            rates.append(got["rate"])
            p50s.append(got["p50"])
            p99s.append(got["p99"])
    rate, health_rate, p99 = median(rates), median(health_rates), median(p99s)
    health_ratio = rate / health_rate if health_rate else None
    note = f"{missing} acknowledged check-ins not recorded exactly once; {failures} requests refused or failed"
    measured = f"{fmt(rate, '/s')} (p50 {ms(median(p50s))}, p99 {ms(p99)})"
    health = f"GET /health {fmt(health_rate, '/s')} (p99 {ms(median(health_p99))})"
    if mode != "gevent":
        ok = rate >= 400 and p99 <= 0.050 and health_ratio >= 0.5 and missing == 0 and failures == 0
        return [Row(what, measured, health, fmt(health_ratio, '', 2), THREADING_TARGET, verdict(ok), note)]
    bare_rate = median(bare_rates)
    ratio = rate / bare_rate if bare_rate else None
    ok = rate >= 400 and p99 <= 0.050 and ratio >= 0.6 and missing == 0 and failures == 0
    return [Row(what, measured, f"bare route, same stack and SQL writes {fmt(bare_rate, '/s')} "
                f"(p99 {ms(median(bare_p99))}); {health}", fmt(ratio, '', 2), TARGET, verdict(ok),
                f"{note}; ratio to /health {fmt(health_ratio, '', 2)} (information)")]


class _NoBare:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        pass
