"""IC card tap round trip in a real browser: a card's id typed by a keyboard-wedge reader → the words of
what happened rendered (headless Chromium against run.py), p50/p99, over people with a card each."""
import json
import uuid

from .browser import desk_page, wedge_times
from .harness import Client, median, percentile, running_server
from .table import Row, ms, verdict

WHAT = "IC card tap round trip in Chromium: wedge tap → words rendered (p50/p99)"
TARGET = "≤ 300 ms p99"


def card_holders(server, info, count):
    """Card ids of `count` people checked in at the desk, each with a card linked through the API."""
    ref = info["shelters"][0]["kyotsu_id"]
    client = Client(server.url, token=info["token"])
    cards = []
    try:
        for i in range(count):
            status, _h, body = client.request(
                "POST", f"/api/v1/shelters/{ref}/checkins",
                {"household": {"staying": "shelter"}, "persons": [{"name": f"札 花子{i}"}, {"name": f"札 太郎{i}"}],
                 "status": "checked_in"}, {"Idempotency-Key": str(uuid.uuid4())})
            if status not in (200, 201):
                raise RuntimeError(f"registration refused: {status} {body[:200]!r}")
            person_id = json.loads(body)["household"]["persons"][0]["id"]
            card = uuid.uuid4().hex[:16].upper()  # an IDm: 16 hex characters
            status, _h, body = client.request("POST", f"/api/v1/shelters/{ref}/cards",
                                              {"person_id": person_id, "card": card})
            if status != 201:
                raise RuntimeError(f"card link refused: {status} {body[:200]!r}")
            cards.append(card)
    finally:
        client.close()
    return cards


def run(smoke=False, runs=3):
    taps = 3 if smoke else 60
    runs = 1 if smoke else runs
    p50s, p99s, worst, outcomes = [], [], [], set()
    with running_server() as (server, info):
        with desk_page(server, info["shelters"][0]["kyotsu_id"]) as page:
            for _ in range(runs):
                times = []
                # half check out (in/out mode), half count a meal: the two things a tap does
                cards = card_holders(server, info, taps)
                for mode, part in (("inout", cards[::2]), ("meal", cards[1::2])):
                    page.check(f"[data-testid=mode-{mode}]")
                    page.click("#scanbox")
                    times += wedge_times(page, part, outcomes)
                p50s.append(percentile(times, 50))
                p99s.append(percentile(times, 99))
                worst.append(max(times))
    ok_outcome = outcomes == {"scan-result result-ok"}
    p99 = median(p99s)
    return [Row(WHAT, f"{ms(median(p50s))} / {ms(p99)}", "—", "—", TARGET, verdict(p99 <= 0.3 and ok_outcome),
                f"{taps} taps per run (half check-outs, half meals), slowest {ms(max(worst))}; "
                f"outcomes: {', '.join(sorted(outcomes))}")]
