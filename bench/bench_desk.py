"""Desk round trip in a real browser: a keyboard-wedge scan submitted → the confirmation rendered
(headless Chromium against run.py), p50/p99 over many households registered at the door."""
import uuid

from .browser import CHROMIUM_ARGS, TIMED_WEDGE_JS, chromium_path, sign_in, sync_playwright
from .harness import Client, median, percentile, running_server
from .table import Row, ms, verdict

WHAT = "desk round trip in Chromium: wedge scan → confirmation rendered (p50/p99)"
TARGET = "≤ 1 s p99"


def pending_households(server, info, count):
    """Reception numbers of households registered at the door (pending until the desk scans them)."""
    ref = info["shelters"][0]["kyotsu_id"]
    client = Client(server.url, token=info["token"])
    numbers = []
    for i in range(count):
        status, _h, body = client.request(
            "POST", f"/api/v1/shelters/{ref}/checkins",
            {"household": {"staying": "shelter"}, "persons": [{"name": f"受付 太郎{i}"}, {"name": f"受付 花子{i}"}],
             "status": "pending", "source": "door"}, {"Idempotency-Key": str(uuid.uuid4())})
        if status not in (200, 201):
            raise RuntimeError(f"door registration refused: {status} {body[:200]!r}")
        import json

        numbers.append(json.loads(body)["household"]["reception_number"])
    client.close()
    return numbers


def run(smoke=False, runs=3):
    scans = 3 if smoke else 60
    runs = 1 if smoke else runs
    path = chromium_path()
    p50s, p99s, worst, outcomes = [], [], [], set()
    with running_server() as (server, info):
        ref = info["shelters"][0]["kyotsu_id"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1180, "height": 820}, locale="ja-JP")
                page.set_default_timeout(15000)
                sign_in(page, server.url, "bench-hq")
                page.goto(f"{server.url}/shelters/{ref}/desk")
                page.click("#scanbox")
                for _ in range(runs):
                    times = []
                    for number in pending_households(server, info, scans):
                        elapsed, outcome = page.evaluate(TIMED_WEDGE_JS, [number])
                        outcomes.add(outcome)
                        times.append(elapsed / 1000)
                    p50s.append(percentile(times, 50))
                    p99s.append(percentile(times, 99))
                    worst.append(max(times))
            finally:
                browser.close()
    ok_outcome = outcomes == {"scan-result result-ok"}
    p99 = median(p99s)
    return [Row(WHAT, f"{ms(median(p50s))} / {ms(p99)}", "—", "—", TARGET, verdict(p99 <= 1.0 and ok_outcome),
                f"{scans} scans per run, slowest {ms(max(worst))}; outcomes: {', '.join(sorted(outcomes))}")]
