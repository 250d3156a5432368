"""Desk round trip in a real browser: a keyboard-wedge scan submitted → the confirmation rendered
(headless Chromium against run.py), p50/p99 over many households registered at the door."""
import uuid

from .browser import desk_page, wedge_times
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
    p50s, p99s, worst, outcomes = [], [], [], set()
    with running_server() as (server, info):
        with desk_page(server, info["shelters"][0]["kyotsu_id"]) as page:
            for _ in range(runs):
                times = wedge_times(page, pending_households(server, info, scans), outcomes)
                p50s.append(percentile(times, 50))
                p99s.append(percentile(times, 99))
                worst.append(max(times))
    ok_outcome = outcomes == {"scan-result result-ok"}
    p99 = median(p99s)
    return [Row(WHAT, f"{ms(median(p50s))} / {ms(p99)}", "—", "—", TARGET, verdict(p99 <= 1.0 and ok_outcome),
                f"{scans} scans per run, slowest {ms(max(worst))}; outcomes: {', '.join(sorted(outcomes))}")]
