"""The event log is the record: ids, order, clocks, sealed personal facts, the one boundary, replay."""
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from shelter_ops import db as storage
from shelter_ops import eventlog
from shelter_ops.db import connect, migrate, write
from shelter_ops.domain import clock
from shelter_ops.eventlog import applies, emit

from conftest import insert_shelter


@applies("test.noted", live=False)
def _noted(db, e):
    db.execute("insert into test_notes (id, shelter_id, text, at) values (?, ?, ?, ?)",
               [e.data["id"], e.shelter_id, e.data.get("text"), e.at])


@pytest.fixture
def notes(db):
    db.execute("create table if not exists test_notes (id text primary key, shelter_id text, text text, at text)")
    return db


def _note(db, text, *, personal=True, subject="household:1", **kwargs):
    with write(db):
        return emit(db, "test.noted", {"id": str(uuid.uuid4())}, actor="desk", shelter_id="s1",
                    personal={"text": text} if personal else None, subject=subject, **kwargs)


def test_nothing_is_written_outside_the_one_boundary(notes):
    with pytest.raises(RuntimeError, match="outside write"):
        emit(notes, "test.noted", {"id": "x"}, actor="desk")


def test_an_unknown_kind_is_refused_not_logged_silently(notes):
    with pytest.raises(RuntimeError, match="no handler"), write(notes):
        emit(notes, "test.never_registered", {}, actor="desk")


def test_events_are_ordered_gap_free_and_time_ordered_even_when_the_clock_jumps_back(notes):
    times = [datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc), datetime(1970, 1, 1, tzinfo=timezone.utc),
             datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2026, 9, 1, 9, 0, 1, tzinfo=timezone.utc)]
    made = []
    try:
        for moment in times:  # a Raspberry Pi without a clock battery boots in 1970
            clock.set_source(lambda moment=moment: moment)
            made.append(_note(notes, "x", personal=False))
    finally:
        clock.set_source(None)
    seqs = [e.seq for e in made]
    assert seqs == list(range(seqs[0], seqs[0] + 4))
    assert [e.hlc for e in made] == sorted(e.hlc for e in made) and len({e.hlc for e in made}) == 4
    assert [e.id for e in made] == sorted(e.id for e in made)
    assert all(uuid.UUID(e.id).version == 7 for e in made)
    assert made[1].at.startswith("1970")  # the node's own wall clock is kept, for display


def test_personal_facts_are_sealed_in_the_log_and_gone_for_good_when_the_key_is_forgotten(app, notes):
    event = _note(notes, "鎌倉花子さんは2階")
    raw = Path(app.config["DB"]).read_bytes() + Path(app.config["DB"] + "-wal").read_bytes()
    row = notes.execute("select payload, sealed from events where id = ?", [event.id]).fetchone()
    assert "鎌倉花子" not in row[0] and "鎌倉花子".encode() not in row[1]
    assert notes.execute("select text from test_notes").fetchone()[0] == "鎌倉花子さんは2階"
    assert raw  # the log was written
    (logged,) = eventlog.rows(notes)[-1:]
    assert eventlog.from_row(notes, logged).data["text"] == "鎌倉花子さんは2階"
    with write(notes):
        assert eventlog.forget_subjects(notes, subjects=["household:1"]) == 1
    assert eventlog.from_row(notes, logged).data.get("text") is None


def test_keys_read_once_for_a_batch_are_forgotten_with_the_key_and_with_the_transaction(notes):
    """A node's batch reads its keys in one query (eventlog.remember_keys); a purge in the same transaction
    still makes the facts unreadable at once, and nothing read is kept past the transaction."""
    made = _note(notes, "腰越さんは体育館")
    (logged,) = [r for r in eventlog.rows(notes) if r["id"] == made.id]
    with write(notes):
        eventlog.remember_keys(notes, ["household:1"])
        assert eventlog.from_row(notes, logged).data["text"] == "腰越さんは体育館"
        eventlog.forget_subjects(notes, subjects=["household:1"])
        assert eventlog.from_row(notes, logged).data.get("text") is None
    assert eventlog.memo(notes) == {}
    notes.execute("insert into subject_keys (subject, shelter_id, key, created_at) values (?, ?, ?, ?)",
                  ["household:1", "s1", b"k" * 16, clock.now()])  # the subject gets a new key since
    with write(notes):
        eventlog.remember_keys(notes, ["household:1"])
        assert eventlog.memo(notes)["keys"] == {"household:1": b"k" * 16}


def test_the_actor_is_recorded_with_role_and_origin(notes):
    with write(notes):
        emit(notes, "test.noted", {"id": "a1"}, actor={"name": "lead1", "role": "lead", "shelter_id": "s1"},
             shelter_id="s1")
    row = notes.execute("select actor, actor_role, actor_origin, origin from events order by rowid desc").fetchone()
    assert row[:2] == ("lead1", "lead") and row[2] == row[3] == eventlog.node_id(notes)


def test_screens_are_told_after_commit_about_the_shelters_touched_and_never_after_a_rollback(db):
    seen = []
    storage.AFTER_COMMIT.append(seen.append)
    try:
        shelter = insert_shelter(db)
        from shelter_ops.domain import shelters

        shelters.transition(db, shelter["id"], "open", actor="hq", role="hq")
        assert {shelter["id"]} in seen
        seen.clear()
        with pytest.raises(ZeroDivisionError), write(db):
            shelters.transition(db, shelter["id"], "closing", actor="hq", role="hq", confirmed=True)
            1 / 0
        assert seen == []
    finally:
        storage.AFTER_COMMIT.remove(seen.append)


def test_replay_rebuilds_an_import_row_by_row(app, db, tmp_path):
    from import_helpers import SHELTER_HEADER, csv_bytes, prefecture_rows
    from shelter_ops.importers import import_data

    assert import_data(db, csv_bytes(SHELTER_HEADER, prefecture_rows(300)), "pref.csv", actor="hq").ok
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    assert eventlog.replay(db, target) == db.execute("select count(*) from events").fetchone()[0]
    for table in ("shelters", "emergency_sites"):
        assert target.execute(f"select * from {table} order by id").fetchall() == \
            db.execute(f"select * from {table} order by id").fetchall()


def test_the_replay_command_writes_a_new_file_and_refuses_an_existing_one(app, db, tmp_path):
    insert_shelter(db)
    runner = app.test_cli_runner()
    out = tmp_path / "new.sqlite"
    result = runner.invoke(args=["events", "replay", "--into", str(out), "--quiet"])
    assert result.exit_code == 0 and "replayed" in result.output
    again = runner.invoke(args=["events", "replay", "--into", str(out), "--quiet"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_no_handler_reads_the_log():
    """A batch from elsewhere is appended whole before its events are applied (eventlog.store_and_apply),
    so a handler that read the log would see events after its own: handlers read the event and the
    state tables only."""
    import ast
    from pathlib import Path

    import shelter_ops

    readers = []
    for path in Path(shelter_ops.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "id", "") == "applies" for d in node.decorator_list):
                source = ast.unparse(node)
                if "from events" in source or "done(" in source or "rows(" in source:
                    readers.append(f"{path.name}:{node.name}")
    assert readers == []


def test_the_household_index_holds_household_events_only_and_serves_the_lookup(db):
    """A transferred family's history is found by this index (sync.household_history); events of no
    household (an import's rows, head counts) are not in it, so they cost no index entry."""
    sql = db.execute("select sql from sqlite_master where name = 'events_household'").fetchone()[0]
    assert "is not null" in sql
    plan = db.execute("explain query plan select rowid from events where json_extract(payload, '$.household_id') = ? "
                      "and rowid < ? order by rowid", ["h", 10]).fetchall()
    assert any("events_household" in step[-1] for step in plan)


def test_nothing_but_the_one_clock_asks_the_system_for_the_time():
    """A frozen or configured clock (app config CLOCK, a test) must reach every date the product writes."""
    import re

    package = Path(storage.__file__).parent
    asks = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")
    found = [f"{path.relative_to(package)}:{n}" for path in package.rglob("*.py") if path.name != "clock.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if asks.search(line)]
    assert found == []
