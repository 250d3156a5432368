"""Paper: render times of the heavy PDFs from plain data (offline_print, no database): the map of
1,500 shelters, 500 pre-numbered household cards, a roster of 2,000 people."""
import statistics
import time

from .harness import Skip
from .table import Row, verdict

WHAT = "PDFs: map 1,500 shelters / 500 cards / roster 2,000 people"
TARGET = "≤ 5 s / ≤ 10 s / ≤ 5 s"


def _time(func, runs):
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        data = func()
        times.append(time.perf_counter() - start)
        size = len(data)
        if not bytes(data[:5]) == b"%PDF-":
            raise RuntimeError("not a PDF")
    return statistics.median(times), size


def run(smoke=False, runs=3):
    try:
        from offline_print import bench as paper, cards, map as paper_map, roster
    except ImportError as error:
        raise Skip(f"offline_print is not there yet ({error})")
    n_shelters, n_cards, n_people = (30, 10, 40) if smoke else (1500, 500, 2000)
    runs = 1 if smoke else runs
    sample_shelters, sample_numbers = paper.shelters(n_shelters), paper.numbers(n_cards)
    sample_zones = paper.roster_zones(n_people)
    jobs = [
        (f"PDF map of {n_shelters:,} shelters (A4)", 5.0,
         lambda: paper_map.render(sample_shelters, qr_url="http://127.0.0.1:5000/public/")),
        (f"PDF {n_cards:,} household cards", 10.0,
         lambda: cards.render(numbers=sample_numbers, shelter_name="第一小学校", **paper.vocabulary())),
        (f"PDF roster of {n_people:,} people (lead's copy)", 5.0,
         lambda: roster.render(shelter_name="第一小学校", zones=sample_zones, sensitive=True)),
    ]
    rows = []
    for what, limit, job in jobs:
        seconds, size = _time(job, runs)
        rows.append(Row(what, f"{seconds:.2f} s", "—", "—", f"≤ {limit:.0f} s", verdict(seconds <= limit),
                        f"{size / 1024:,.0f} KB, Japanese font embedded"))
    return rows
