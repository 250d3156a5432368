"""The counts of a live update at a prefecture's HQ: people present per shelter and zone, outside, and
households waiting at the desk, for 1,500 shelters and ~233,000 registered people (what the live hub
computes on every flush, up to about three times a second). Baseline, in the same run: the same counts
by a join over every person, as they were computed before the `tallies` table."""
import random
import tempfile
import time
import uuid
from pathlib import Path

from .harness import median
from .table import Row, fmt, ms, verdict

WHAT = "live update's counts at a prefecture: 1,500 shelters, ~233,000 people"
TARGET = "≤ 50 ms"

def fill(db, shelters, households_n, seed=3):
    """Households of 1-6 people (most 1-3) at shelters of very different sizes, in the mix of a third
    day: most checked in, some waiting, some gone; a tenth staying in cars or at home; zones."""
    rng = random.Random(seed)
    ids = [str(uuid.uuid4()) for _ in range(shelters)]
    weights = [rng.paretovariate(1.2) for _ in ids]  # a few big schools, many small halls
    zones = {sid: [None] + [str(uuid.uuid4()) for _ in range(rng.randint(0, 4))] for sid in ids}
    homes, people = [], []
    for n, sid in enumerate(rng.choices(ids, weights, k=households_n)):
        hid = str(uuid.uuid4())
        status = rng.choices(["checked_in", "pending", "checked_out"], [85, 5, 10])[0]
        staying = rng.choices(["shelter", "car", "home", "tent"], [88, 6, 5, 1])[0]
        homes.append((hid, f"B{n:07d}", sid, status, "desk", staying, rng.choice(zones[sid]), "none", "", ""))
        for position in range(rng.choices([1, 2, 3, 4, 5, 6], [30, 30, 18, 12, 7, 3])[0]):
            people.append((str(uuid.uuid4()), hid, position, rng.choices(["in", "away", "out"], [90, 4, 6])[0], ""))
    with db.conn:
        db.conn.executemany("insert into households (id, reception_number, shelter_id, status, source, staying, "
                            "zone_id, consent, registered_at, updated_at) values (?,?,?,?,?,?,?,?,?,?)", homes)
        db.conn.executemany("insert into persons (id, household_id, position, status, updated_at) "
                            "values (?,?,?,?,?)", people)
    return len(people)


def run(smoke=False, runs=3):
    from shelter_ops.db import connect, migrate
    from shelter_ops.domain import households

    shelters, homes = (30, 600) if smoke else (1500, 95_000)
    ours, base = [], []
    with tempfile.TemporaryDirectory(prefix="shelter-bench-counts-") as tmp:
        db = connect(str(Path(tmp) / "counts.sqlite"))
        migrate(db)
        db.execute("PRAGMA foreign_keys=OFF")  # the rows name shelters this file does not hold
        people = fill(db, shelters, homes)
        for _ in range(1 if smoke else max(runs, 5)):
            start = time.perf_counter()
            present = households.present_counts(db)
            desks = households.desk_counts(db, present=present)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            households.counted_from_rows(db)  # the join over every person, as before the tallies
            base.append(time.perf_counter() - start)
        shown = sum(v["total"] for v in present.values()), sum(d["pending"] for d in desks.values())
        db.close()
    ours_s, base_s = median(ours), median(base)
    what = WHAT if not smoke else f"live update's counts: {shelters} shelters, {people:,} people"
    return [Row(what, ms(ours_s), f"the join over every person {ms(base_s)}", fmt(base_s / ours_s, ' ×', 0),
                TARGET, verdict(ours_s <= 0.050),
                f"{people:,} people registered, {shown[0]:,} present, {shown[1]:,} households waiting; "
                "present_counts + desk_counts (the live hub's figures); ratio = join ÷ tallies")]
