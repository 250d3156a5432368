"""Replay (#11): one randomized operations day across every area, in one database, rebuilt from the log
alone: every projection table (eventlog.projection_tables, so a new table is covered without editing
this test) equals the live one, row by row.

The day: HQ imports shelters and opens them; door, desk, paper and pre-registered households; check-ins,
retried taps, check-outs, away and back, transfers, head counts, zone edits, IC cards linked and tapped;
supplies, requests and HQ's steps, the daily log, announcements, residents' requests, reports,
inquiries; then consolidation, close, the final report, the handover and the purge."""
import random

import test_replay_households as reception
import test_replay_running as running
from shelter_ops.db import connect, migrate
from shelter_ops.domain import closing, iccards, prereg, privacy, reports, shelters
from shelter_ops.domain.errors import DomainError
from shelter_ops.eventlog import Actor, projection_tables, replay

from closing_helpers import open_shelter

MUST_HAVE_ROWS = ("shelters", "zones", "households", "persons", "movements", "headcounts", "supply_moves",
                  "supply_requests", "daylog_entries", "announcements", "resident_requests", "reports",
                  "inquiries", "closings", "card_links", "card_pickups")


def _rows(db, table):
    return db.execute(f"select * from [{table}] order by 1").fetchall()


def _cards_and_zones(db, shelter_list, rng, lead_of):
    """Zone edits, and cards linked to checked-in persons and tapped in every mode."""
    for shelter in shelter_list:
        zone = shelters.add_zone(db, shelter["id"], {"name": "和室", "kind": "care", "usable_m2": 40.0},
                                 actor=lead_of[shelter["id"]])
        shelters.update_zone(db, shelter["id"], zone["id"], {"name": "和室（奥）", "kind": "care", "usable_m2": 36.5}, actor=lead_of[shelter["id"]])
    persons = db.execute("select p.id, h.shelter_id from persons p join households h on h.id = p.household_id "
                         "where h.status = 'checked_in' and p.status = 'in' order by p.id").fetchall()
    for n, (person_id, shelter_id) in enumerate(rng.sample(persons, min(12, len(persons)))):
        card = f"01:2E:{n:02X}:7A:9B:{rng.randint(0, 255):02X}:00:11"
        try:
            iccards.link(db, shelter_id, person_id, card, actor="desk")
            for mode in ("meal", "water", "inout", "inout", "bath"):
                iccards.tap(db, shelter_id, card, actor="desk", mode=mode, op=f"tap:{n}:{mode}:{rng.random()}")
        except DomainError:
            pass  # a refusal the desk would show (the shelter no longer open for that person): nothing written
        if n % 4 == 0:
            iccards.unlink(db, shelter_id, person_id, actor="desk", lost=True)


def test_a_whole_operations_day_replays_to_the_same_tables(app, db, tmp_path):
    rng = random.Random(2026)
    shelter_list = [running.import_shelter(db, f"E14204000{i}1111", f"第{i}小学校") for i in range(1, 4)]
    for shelter in shelter_list:
        open_shelter(db, shelter)
    shelter_list = [{**shelters.get(db, s["id"]), "zones": shelters.zones(db, s["id"])} for s in shelter_list]
    hq = Actor(user="hq", role="hq")
    leads = {s["id"]: Actor(user=f"lead-{i}", role="lead", shelter_id=s["id"]) for i, s in enumerate(shelter_list)}
    staff = {s["id"]: Actor(user=f"staff-{i}", role="staff", shelter_id=s["id"]) for i, s in enumerate(shelter_list)}

    reception.play_a_day(db, shelter_list, rng, prereg.generate_key())  # ends by consolidating shelter 3 into 1
    names = [r[0] for r in db.execute("select name from persons where name is not null limit 40")]
    running._operations_day(db, rng, shelter_list[:2], leads, staff, hq, names)
    _cards_and_zones(db, shelter_list[:2], rng, leads)

    a, b = shelter_list[0], shelter_list[1]
    closing.consolidate(db, a["id"], b["id"], actor=leads[a["id"]], confirmed=True)
    shelters.transition(db, a["id"], "closed", actor="hq", role="hq", confirmed=True)
    reports.submit(db, a["id"], {"urgent": "なし"}, actor=leads[a["id"]], kind="final")
    closing.export(db, a["id"], actor=hq, reason="閉鎖に伴う引き渡し")

    tables = projection_tables(db)
    empty = [t for t in MUST_HAVE_ROWS if not _rows(db, t)]
    assert not empty, f"the day left these tables empty, so their replay proves nothing: {empty}"
    for stage in ("before the purge", "after the purge"):
        if stage == "after the purge":
            privacy.purge(db, a["id"], actor=hq)
        target = connect(str(tmp_path / f"replayed-{len(stage)}.sqlite"))
        migrate(target)
        replay(db, target)
        for table in tables:
            assert _rows(target, table) == _rows(db, table), f"{table} differs {stage}"
        target.close()
