"""Replay: `eventlog.replay` of a log of 100,000 events (a busy reception: door and desk registrations with
their persons sealed, check-ins, check-outs, transfers, head counts, at 20 shelters) into a new database,
as `shelter-ops events replay --into` does."""
import random
import tempfile
import time
from pathlib import Path

from .table import Row, fmt, verdict

WHAT = "replay of 100,000 events into a new database"
TARGET = "≤ 30 s"
EVENTS = 100_000
SHELTERS = 20
BATCH = 500  # operations per transaction while the log is made


def make_log(db, events, seed=7):
    """Play reception operations through the domain until the log holds `events` events."""
    from shelter_ops.db import write
    from shelter_ops.domain import households, shelters

    rng = random.Random(seed)
    opened = []
    for n in range(SHELTERS):
        shelter = shelters.register(db, {"kyotsu_id": f"E1420400{n + 1:04d}11", "name": f"ベンチ避難所{n + 1}",
                                         "municipality_code": "142042", "lat": 35.3, "lon": 139.5}, actor="system")
        shelters.add_zone(db, shelter["id"], {"name": "体育館", "kind": "general", "usable_m2": 4000}, actor="system")
        shelters.transition(db, shelter["id"], "opening", actor="system")
        shelters.transition(db, shelter["id"], "open", actor="system", confirmed=True)
        opened.append(shelter["id"])
    pending, present = [], []

    def count():
        return db.execute("select count(*) from events").fetchone()[0]

    while count() < events:
        with write(db):
            for _ in range(BATCH):
                sid = rng.choice(opened)
                roll = rng.random()
                people = [{"name": f"避難 者{rng.randint(1, 9999)}", "kana": "ひなん", "sex": rng.choice(["male", "female"]),
                           "age": rng.randint(0, 90), "care_codes": ["ELD"] if rng.random() < 0.1 else []}
                          for _ in range(rng.choice([1, 2, 2, 3, 4]))]
                card = {"address": "鎌倉市御成町1-1", "phone": "0467-23-3000", "consent": "family"}
                if roll < 0.3:
                    pending.append((sid, households.register(db, sid, card, people, actor="door", source="door")
                                    ["reception_number"]))
                elif roll < 0.5:
                    created = households.register(db, sid, card, people, actor="desk", source="desk",
                                                  status="checked_in")
                    present.append((sid, created["id"]))
                elif roll < 0.7 and pending:
                    at, number = pending.pop(rng.randrange(len(pending)))
                    present.append((at, households.check_in(db, at, number, actor="desk")["household"]["id"]))
                elif roll < 0.8 and present:
                    at, hid = present.pop(rng.randrange(len(present)))
                    households.check_out(db, at, hid, actor="desk")
                elif roll < 0.85 and present:
                    at, hid = present.pop(rng.randrange(len(present)))
                    to = rng.choice([s for s in opened if s != at])
                    households.transfer(db, hid, to, actor="desk", from_shelter_id=at)
                    present.append((to, hid))
                else:
                    households.count_head(db, sid, rng.choice(["male", "female"]), "adult", actor="desk")
    return count()


def run(smoke=False, runs=3):
    from shelter_ops import eventlog
    from shelter_ops.db import connect, migrate

    events = 1_000 if smoke else EVENTS
    times = []
    with tempfile.TemporaryDirectory(prefix="shelter-replay-") as tmp:
        source = connect(str(Path(tmp) / "live.sqlite"))
        migrate(source)
        t0 = time.perf_counter()
        made = make_log(source, events)
        making = time.perf_counter() - t0
        for n in range(1 if smoke else runs):
            target = connect(str(Path(tmp) / f"replayed{n}.sqlite"))
            migrate(target)
            t0 = time.perf_counter()
            applied = eventlog.replay(source, target)
            times.append(time.perf_counter() - t0)
            same = all(target.execute(f"select * from {t} order by 1").fetchall() ==
                       source.execute(f"select * from {t} order by 1").fetchall()
                       for t in ("households", "persons", "movements", "headcounts"))
            target.close()
        source.close()
    seconds = sorted(times)[len(times) // 2]
    limit = 30 * made / EVENTS
    what = WHAT if not smoke else f"replay of {made:,} events (smoke)"
    return [Row(what, f"{seconds:.1f} s ({fmt(applied / seconds, ' events/s')})", "—", "—", TARGET,
                verdict(seconds <= limit and same and applied == made),
                f"{made:,} events made through the domain in {making:.0f} s; replayed tables equal the live ones: "
                f"{'yes' if same else 'NO'}")]
