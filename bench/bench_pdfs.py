"""Paper: render times of the heavy PDFs from plain data (offline_print, no database): the map and
the atlas of 1,500 shelters clustered like a prefecture's, 500 pre-numbered household cards, a roster
of 2,000 people; and marker placement against reportlab drawing the same markers unplaced."""
import statistics
import time

from .harness import Skip
from .table import Row, verdict

WHAT = "PDFs: map and atlas of 1,500 clustered shelters / 500 cards / roster 2,000 people"
TARGET = "≤ 5 s / atlas ≤ 3 s and ≥ 0.5 × unplaced drawing / ≤ 10 s / ≤ 5 s"


def _time(func, runs):
    """(median CPU seconds, PDF bytes, median wall seconds). Rendering is one thread of pure CPU, so
    CPU time is the figure a machine shared with other work cannot inflate; the wall time is noted."""
    times, walls, size = [], [], 0
    for _ in range(runs):
        start, wall = time.process_time(), time.perf_counter()
        data = func()
        times.append(time.process_time() - start)
        walls.append(time.perf_counter() - wall)
        size = len(data)
        if not bytes(data[:5]) == b"%PDF-":
            raise RuntimeError("not a PDF")
    _time.wall = statistics.median(walls)
    return statistics.median(times), size


def _markers(shelters, *, place):
    """One A4 page with the shelters' numbered markers, placed (slots, leader lines) or drawn where
    they fall (the baseline: what reportlab costs for the same shapes and numbers)."""
    from offline_print import map as paper_map
    from offline_print.pdf import Canvas

    c = Canvas("A4")
    frame = (15 * 2.835, 20 * 2.835, 180 * 2.835, 250 * 2.835)
    project = paper_map.Projection([(s["lon"], s["lat"]) for s in shelters], frame)
    placed = paper_map.number_shelters(shelters, project, frame, 6, 8)
    font = paper_map._marker_font(c, placed, frame)
    height = font * 0.55 * 2.835
    if place:
        paper_map._place_markers(c, placed, frame, height, font)
    else:
        for s in placed:
            s.update(mx=s["x"], my=s["y"], mw=paper_map._marker_width(c, s["number"], font), mh=height, moved=False)
    paper_map._draw_markers(c, placed, font)
    return c.pdf_bytes()


def run(smoke=False, runs=3):
    try:
        from offline_print import atlas, bench as paper, cards, map as paper_map, roster
    except ImportError as error:
        raise Skip(f"offline_print is not there yet ({error})")
    n_shelters, n_cards, n_people = (60, 10, 40) if smoke else (1500, 500, 2000)
    runs = 1 if smoke else runs
    sample_shelters = paper.prefecture_shelters(n_shelters)
    for number, s in enumerate(sorted(sample_shelters, key=lambda s: s["ref"]), 1):
        s["number"] = number  # as domain.numbering numbers them: by 共通ID
    sample_numbers, sample_zones = paper.numbers(n_cards), paper.roster_zones(n_people)
    url = "http://192.168.1.10:5000/public/"
    rows = []

    seconds, size = _time(lambda: paper_map.render(sample_shelters, qr_url=url), runs)
    rows.append(Row(f"PDF map of {n_shelters:,} clustered shelters (A4, one sheet + index)", f"{seconds:.2f} s", "—",
                    "—", "≤ 5 s", verdict(seconds <= 5.0), f"{size / 1024:,.0f} KB; CPU time (wall {_time.wall:.2f} s)"))

    atlas_s, atlas_size = _time(lambda: atlas.render_atlas(sample_shelters, qr_url=url), runs)
    rows.append(Row(f"PDF atlas of {n_shelters:,} clustered shelters (overview, sheets, index)", f"{atlas_s:.2f} s",
                    "—", "—", "≤ 3 s", verdict(atlas_s <= 3.0), f"{atlas_size / 1024:,.0f} KB; CPU time (wall {_time.wall:.2f} s)"))

    bare, _ = _time(lambda: _markers([dict(s) for s in sample_shelters], place=False), runs)
    placed, _ = _time(lambda: _markers([dict(s) for s in sample_shelters], place=True), runs)
    ratio = bare / placed if placed else 0.0
    rows.append(Row(f"markers of {n_shelters:,} clustered shelters placed so none hides another",
                    f"{placed:.3f} s", f"{bare:.3f} s unplaced", f"{ratio:.2f} ×", "≥ 0.5 × unplaced",
                    verdict(ratio >= 0.5), "CPU time; baseline: reportlab drawing the same markers where they fall"))
    rows.append(Row(f"atlas of {n_shelters:,} against drawing its markers unplaced", f"{atlas_s:.2f} s",
                    f"{bare:.3f} s unplaced", f"{bare / atlas_s:.2f} ×" if atlas_s else "—", "(for the record)",
                    "info", "the atlas also draws the overview, every sheet's grid and names, and the index"))

    for what, limit, job in [
        (f"PDF {n_cards:,} household cards (double-sided)", 10.0,
         lambda: cards.render(numbers=sample_numbers, shelter_name="第一小学校", **paper.vocabulary())),
        (f"PDF roster of {n_people:,} people (lead's copy)", 5.0,
         lambda: roster.render(shelter_name="第一小学校", zones=sample_zones, sensitive=True)),
    ]:
        seconds, size = _time(job, runs)
        rows.append(Row(what, f"{seconds:.2f} s", "—", "—", f"≤ {limit:.0f} s", verdict(seconds <= limit),
                        f"{size / 1024:,.0f} KB, fonts embedded; CPU time (wall {_time.wall:.2f} s)"))
    return rows
