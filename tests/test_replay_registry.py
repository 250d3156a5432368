"""The registry and HQ's side are projections of the log: a seeded day of imports, registrations,
lifecycle steps, checklist marks, zone edits, settings, hiding and overrides replays row by row."""
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from shelter_ops import eventlog
from shelter_ops.config import DEFAULTS
from shelter_ops.db import connect, migrate
from shelter_ops.domain import capacity, clock, shelters
from shelter_ops.domain.errors import DomainError
from shelter_ops.eventlog import Actor

from import_helpers import SHELTER_HEADER, SITE_HEADER, csv_bytes, prefecture_rows, site

REGISTRY_TABLES = {"shelters": "id", "emergency_sites": "id", "zones": "id", "checklist_marks": "shelter_id, item",
                   "occupancy_overrides": "shelter_id", "occupancy_confirmations": "shelter_id", "settings": "key"}


def rows(db, table):
    return db.execute(f"select * from {table} order by {REGISTRY_TABLES[table]}").fetchall()


@pytest.fixture
def ticking_clock():
    """A clock that moves a few seconds per call, so every step has its own time (as on a real day)."""
    moment = [datetime(2026, 9, 1, 21, 30, tzinfo=timezone.utc)]  # 06:30 JST the morning after

    def tick():
        moment[0] += timedelta(seconds=7)
        return moment[0]

    clock.set_source(tick)
    yield
    clock.set_source(None)


def play_a_day(db, seed, *, shelters_in_file=120):
    """HQ imports a file of shelters and sites, registers a few of its own, opens many; leads and staff
    work checklists and zones; HQ hides some, changes the m² per person; leads override levels."""
    from shelter_ops.importers import import_data

    rng = random.Random(seed)
    checklist = shelters.checklist_items(DEFAULTS["CHECKLIST"])
    assert import_data(db, csv_bytes(SHELTER_HEADER, prefecture_rows(shelters_in_file)), "pref.csv", actor="hq").ok
    assert import_data(db, csv_bytes(SITE_HEADER, [site(n) for n in range(1, 40)]), "sites.csv", actor="hq").ok
    hq = Actor("hq1", "hq")
    for n in range(5):  # HQ's own list: temporary shelters with and without a 共通ID
        shelters.register(db, {"name": f"臨時避難所{n}（公民館）", "kyotsu_id": f"E142049{n:04d}111" if n % 2 else None,
                               "lat": 35.3 + n / 100, "lon": 139.5, "address": f"鎌倉市 {n}"}, actor=hq)
    everyone = [s["id"] for s in shelters.list_all(db)]
    # a 震度5強 morning: HQ opens a third at once
    shelters.open_many(db, rng.sample(everyone, len(everyone) // 3), actor=hq, reason="震度5強")
    # a later file corrects names and adds shelters: the import must not touch state, zones or hidden
    changed = prefecture_rows(shelters_in_file + 10)
    for row in changed[:20]:
        row["施設・場所名"] += "（体育館）"
    assert import_data(db, csv_bytes(SHELTER_HEADER, changed), "pref-2.csv", actor="hq").ok
    everyone = [s["id"] for s in shelters.list_all(db)]
    for _ in range(600):
        sid = rng.choice(everyone)
        lead = Actor(f"lead-{sid[:4]}", "lead", sid)
        staff = Actor(f"staff-{sid[:4]}", "staff", sid)
        step = rng.random()
        try:
            if step < 0.25:
                item = rng.choice(checklist)
                result = rng.choice(item["results"]) if item.get("results") else None
                shelters.mark_item(db, sid, item["key"], items=checklist, actor=staff, result=result)
            elif step < 0.30:
                shelters.unmark_item(db, sid, rng.choice(checklist)["key"], actor=staff)
            elif step < 0.45:
                to = rng.choice(shelters.TRANSITIONS[shelters.get(db, sid)["state"]])
                who = hq if to in ("closed",) or rng.random() < 0.3 else rng.choice((lead, staff))
                shelters.transition(db, sid, to, actor=who, confirmed=True, reason="余震のため再開設")
            elif step < 0.60:
                kind = rng.choice(list(shelters.ZONE_KINDS))
                shelters.add_zone(db, sid, {"name": f"教室{rng.randint(1, 30)}", "kind": kind,
                                            "usable_m2": round(rng.uniform(20, 1200), 1),
                                            "blocked_places": rng.randint(0, 5)}, actor=lead)
            elif step < 0.70:
                zones = shelters.zones(db, sid)
                if zones:
                    zone = rng.choice(zones)
                    shelters.update_zone(db, sid, zone["id"], {**zone, "usable_m2": round(rng.uniform(20, 900), 1)},
                                         actor=rng.choice((lead, hq)))
            elif step < 0.75:
                shelters.set_hidden(db, sid, rng.random() < 0.6, actor=hq)
            elif step < 0.85:
                capacity.set_override(db, sid, rng.choice(capacity.OVERRIDE_LEVELS), reason="入口が混雑",
                                      minutes=rng.choice((30, 60, 180)), actor=lead)
            elif step < 0.88:
                capacity.clear_override(db, sid, actor=lead)
            elif step < 0.97:
                capacity.confirm(db, sid, actor=staff)
            else:
                capacity.set_m2_per_person(db, rng.choice(capacity.M2_CHOICES), actor=hq)
        except DomainError:
            pass  # refusals (a staff member closing, an unusable building opening) change nothing


def test_the_registry_replays_row_by_row(app, db, tmp_path, ticking_clock):
    play_a_day(db, seed=11)
    assert db.execute("select count(*) from zones").fetchone()[0] > 50
    assert db.execute("select count(distinct state) from shelters").fetchone()[0] >= 4
    assert db.execute("select count(*) from shelters where hidden = 1").fetchone()[0] > 0
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    eventlog.replay(db, target)
    for table in REGISTRY_TABLES:
        assert rows(target, table) == rows(db, table), f"{table} differs after replay"
    target.close()


def test_nothing_refused_reaches_the_log(db, shelter_a):
    before = db.execute("select count(*) from events").fetchone()[0]
    staff = Actor("staff1", "staff", shelter_a["id"])
    for attempt in (lambda: shelters.add_zone(db, shelter_a["id"], {"name": "体育館", "usable_m2": 100}, actor=staff),
                    lambda: shelters.set_hidden(db, shelter_a["id"], True, actor=staff),
                    lambda: capacity.set_m2_per_person(db, 2.0, actor=staff),
                    lambda: capacity.set_override(db, shelter_a["id"], "full", reason="x", minutes=30, actor=staff)):
        with pytest.raises(DomainError):
            attempt()
    assert db.execute("select count(*) from events").fetchone()[0] == before


def test_a_fresh_process_knows_every_registry_kind_before_replaying(db):
    """`shelter-ops events replay` starts with no module imported: every kind this area emits must be
    registered by eventlog.load_handlers() alone."""
    import subprocess
    import sys

    script = "from shelter_ops import eventlog; eventlog.load_handlers(); print(' '.join(sorted(eventlog.HANDLERS)))"
    known = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                               timeout=120).stdout.split())
    assert {"shelter.registered", "shelter.transition", "shelter.hidden", "shelter.shown", "checklist.marked",
            "checklist.unmarked", "zone.added", "zone.updated", "occupancy.override", "occupancy.override_cleared",
            "occupancy.confirmed", "setting.changed", "demo.loaded", "shelter.imported"} <= known


def test_the_demo_registry_replays_row_by_row(db, tmp_path):
    from shelter_ops.demo import DEMO_FILE, load_if_empty

    with_registry_only = tmp_path / "demo.json"
    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    demo["activity"] = {"open": demo.get("activity", {}).get("open", [])}
    for item in demo["activity"]["open"]:
        item["heads"] = 0  # head counts are the check-in area's (another replay test)
    with_registry_only.write_text(json.dumps(demo, ensure_ascii=False), encoding="utf-8")
    assert load_if_empty(db, with_registry_only)
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    eventlog.replay(db, target)
    for table in REGISTRY_TABLES:
        assert rows(target, table) == rows(db, table), f"{table} differs after replay"
    target.close()
