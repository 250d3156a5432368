"""Personal data by design (#10): every column that can hold it is declared, and the purge leaves none of it,
however it was typed, in any declared table, in the .sqlite or the -wal file; replay still gives the counts."""
import os
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest
import time_machine

from closing_helpers import family, open_shelter
from shelter_ops.db import connect, migrate
from shelter_ops.domain import (capacity, clock, closing, daylog, households, iccards, inquiries, privacy,
                                reports, resident_requests, shelters, supplies)
from shelter_ops.eventlog import NOT_PROJECTIONS, replay


def test_every_text_column_is_declared_personal_or_not():
    """A new table or text column fails here until privacy.py says whether the purge must blank it."""
    db = connect(":memory:")
    migrate(db)
    personal = privacy.personal_tables()
    unclassified = []
    for table in db.table_names():
        if table in NOT_PROJECTIONS or table.startswith("sqlite_"):
            continue
        declared = {c.name.split(".")[0] for c in personal[table].columns} if table in personal else set()
        if table in personal and personal[table].json_column:
            declared = {personal[table].json_column}
        plain = privacy.NOT_PERSONAL.get(table, ())
        for column in db[table].columns:
            if column.type.upper() not in ("TEXT", "") or plain == "*":
                continue
            if (column.name in declared) == (column.name in plain):  # neither, or both
                unclassified.append(f"{table}.{column.name}")
    assert unclassified == []


def _spellings(typed):
    """The ways a person types a name: as given, without spaces, NFKC (full/half width), in either kana."""
    folded = "".join(unicodedata.normalize("NFKC", typed).split())
    hira = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in folded)
    kata = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in folded)
    half = unicodedata.normalize("NFKC", typed)
    return {typed, folded, hira, kata, half, typed.replace(" ", "　")}


def _raw_bytes(app):
    path = Path(app.config["DB"])
    return b"".join(p.read_bytes() for p in (path, Path(str(path) + "-wal")) if p.exists())


# one person, typed in every way a desk, a phone and HQ would type her
NAME, KANA = "七里 浜子", "しちり はまこ"
TYPED = ("七里 浜子", "七里　浜子", "七里浜子", "シチリ ハマコ", "ｼﾁﾘ ﾊﾏｺ", "ｼﾁﾘﾊﾏｺ", "しちりはまこ")
CONTACTS = ("0467-31-4159", "０４６７－３１－４１５９", "鎌倉市七里ガ浜東2-6-5")
CARD = "01:2E:4C:81:9A:3B:5D:07"  # her transport IC card (IDm): only its keyed hash is ever stored


def _plant_everywhere(db, shelter, other):
    """A value typed into every declared table, each in another spelling."""
    household = family(db, shelter, phone=CONTACTS[0], address=CONTACTS[2], consent="public",
                       people=((NAME, KANA, "female", "1971-07-07", ["ILL"]),))
    sid = shelter["id"]
    for i, typed in enumerate(TYPED):
        inquiries.ask(db, {"name": typed, "relation": "household", "inquirer_name": f"横浜 {typed}の兄",
                           "inquirer_contact": CONTACTS[1], "reason": f"{typed}さんを探しています"}, operator="hq")
    resident_requests.submit(db, sid, category="health", text=f"{TYPED[3]}の薬が切れました", name=TYPED[4],
                             room="体育館 ｼﾁﾘの隣", source="phone")
    handled = resident_requests.submit(db, sid, category="food", text="おかゆ", name=TYPED[1], room="2階",
                                       source="paper", actor="desk")
    resident_requests.mark_handled(db, sid, handled["id"], note=f"{TYPED[5]}さんに渡した", actor="staff")
    daylog.add_entry(db, sid, kind="incident", text=f"{TYPED[2]}さん（{CONTACTS[1]}）が転倒", author="lead")
    daylog.add_entry(db, sid, kind="status", text=f"{TYPED[6]} 外泊", author="lead", period="evening", count=1)
    daylog.add_announcement(db, sid, ja=f"{TYPED[0]}さん、受付までお越しください", en="Ms. Shichiri Hamako, please",
                            actor="lead")
    reports.submit(db, sid, {"urgent": f"{TYPED[2]}さん 通院", "reason": f"{TYPED[3]}宅の浸水",
                             "surroundings_roads": f"{TYPED[5]}宅前が冠水"}, actor="lead")
    supplies.record_move(db, sid, item="水", unit="本", direction="in", quantity=24, note=f"{TYPED[1]}さんの寄付",
                         actor="staff")
    asked = supplies.create_request(db, sid, item="杖", quantity=1, unit="本", note=f"{TYPED[4]}さん用", actor="lead")
    supplies.advance_request(db, asked["id"], "refused", actor="hq", role="hq", reason=f"{TYPED[6]}さんは退所予定")
    capacity.set_override(db, sid, "crowded", reason=f"{TYPED[0]}さんの家族が到着予定", minutes=60, actor="lead")
    iccards.link(db, sid, household["persons"][0]["id"], CARD, actor="desk")
    iccards.tap(db, sid, CARD, actor="desk", mode="meal")
    households.check_out(db, sid, household["id"], actor="desk")
    card_hash = db.execute("select card_hash from card_links").fetchone()[0]
    planted = set().union(*(_spellings(t) for t in TYPED)) | {CONTACTS[0], CONTACTS[1], CONTACTS[2],
                                                             "1971-07-07", "Shichiri Hamako", "横浜", card_hash}
    return planted


def _close_and_hand_over(db, shelter):
    if shelters.get(db, shelter["id"])["state"] == "open":
        shelters.transition(db, shelter["id"], "closing", actor="hq", role="hq", confirmed=True)
    shelters.transition(db, shelter["id"], "closed", actor="hq", role="hq", confirmed=True)
    reports.submit(db, shelter["id"], {}, actor="lead", kind="final")
    closing.export(db, shelter["id"], actor="hq", role="hq", reason="引き渡し")


def test_the_purge_leaves_no_planted_value_in_any_declared_table_however_typed(app, db, shelter_a, shelter_b):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    planted = _plant_everywhere(db, shelter_a, shelter_b)
    before = _raw_bytes(app)
    assert {v for v in planted if v.encode() in before}  # the values are there to find (in the projections)
    assert "012E4C819A3B5D07".encode() not in before and CARD.encode() not in before  # never the card's id
    for table, spec in privacy.personal_tables().items():
        if spec.rows is not None:
            assert db.execute(f"select count(*) from [{table}] where {spec.rows}", [shelter_a["id"]]).fetchone()[0]
    _close_and_hand_over(db, shelter_a)
    result = privacy.purge(db, shelter_a["id"], actor="hq", role="hq")
    assert result["compacted"] is True and result["persons"] == 1
    after = _raw_bytes(app)
    assert sorted(v for v in planted if v.encode() in after) == []
    # typed text says it was removed; what happened stays countable
    assert db.execute("select text from daylog_entries where shelter_id = ? and period = 'evening'",
                      [shelter_a["id"]]).fetchone() == ("[削除]",)
    assert db.execute("select count from daylog_entries where period = 'evening'").fetchone() == (1,)
    assert supplies.stock(db, shelter_a["id"])[0]["stock"] == 24
    report = reports.history(db, shelter_id=shelter_a["id"])[-1]
    assert report["data"]["urgent"] == "[削除]" and report["data"]["surroundings"]["roads"] == "[削除]"
    assert report["data"]["surroundings"]["fire"] == ""
    # her card is linked to no one any more; the meal she picked up is still counted
    assert db.execute("select count(*) from card_links").fetchone()[0] == 0
    assert iccards.pickups(db, shelter_a["id"], day=clock.local_date().isoformat())["kinds"][0]["taps"] == 1


def test_replay_after_the_purge_rebuilds_the_counts_and_the_same_blanks(app, db, shelter_a, shelter_b, tmp_path):
    from test_replay_running import import_shelter, same_tables

    a = import_shelter(db, "E1420400005111", "第五小学校")
    b = import_shelter(db, "E1420400006111", "第六小学校")
    open_shelter(db, a)
    open_shelter(db, b)
    _plant_everywhere(db, a, b)
    _close_and_hand_over(db, a)
    privacy.purge(db, a["id"], actor="hq", role="hq")
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    replay(db, target)
    same_tables(db, target)
    (summary,) = privacy.summaries(target, a["id"])
    assert (summary["households"], summary["persons"], summary["counts"]["sex"]) == (1, 1, {"female": 1})


def test_purge_dates_count_japans_calendar_day_between_midnight_and_nine(app, db, shelter_a):
    """Closed at 08:30 JST on 1 March (still 28 February in UTC): 30 days later is 31 March in Japan."""
    open_shelter(db, shelter_a)
    households.check_out(db, shelter_a["id"], family(db, shelter_a)["id"], actor="desk")
    closed_at = datetime(2026, 2, 28, 23, 30, tzinfo=timezone.utc)  # 2026-03-01 08:30 JST
    with time_machine.travel(closed_at, tick=False):
        _close_and_hand_over(db, shelter_a)
    assert clock.today(shelters.get(db, shelter_a["id"])["closed_at"]) == "2026-03-01"
    with time_machine.travel(datetime(2026, 3, 30, 1, 0, tzinfo=timezone.utc), tick=False):  # 30 Mar 10:00 JST
        assert privacy.purge_due(db, retention_days=30)["purged"] == []  # 29 days in Japan (30 in UTC)
    with time_machine.travel(datetime(2026, 3, 30, 15, 30, tzinfo=timezone.utc), tick=False):  # 31 Mar 00:30 JST
        assert privacy.purge_due(db, retention_days=30)["purged"] == [shelter_a["id"]]
        (summary,) = privacy.summaries(db, shelter_a["id"])
        assert summary["purged_at"] == "2026-03-30T15:30:00+00:00"


def test_a_reopened_shelter_after_its_purge_still_replays(app, db, tmp_path):
    """The shelter's key is forgotten; its next opening seals under a new key of the same subject."""
    from test_replay_running import import_shelter, same_tables

    a = import_shelter(db, "E1420400007111", "第七小学校")
    open_shelter(db, a)
    daylog.add_entry(db, a["id"], kind="incident", text="七里さん転倒", author="lead")
    _close_and_hand_over(db, a)
    privacy.purge(db, a["id"], actor="hq", role="hq")
    shelters.transition(db, a["id"], "open", actor="hq", role="hq", reason="次の災害")
    daylog.add_entry(db, a["id"], kind="incident", text="新しい記録", author="lead")
    target = connect(str(tmp_path / "replayed.sqlite"))
    migrate(target)
    replay(db, target)
    texts = [r[0] for r in target.execute("select text from daylog_entries order by at, rowid")]
    assert texts == ["[削除]", "新しい記録"]
    same_tables(db, target, tables=("daylog_entries",))


def test_the_purge_zeroes_what_it_deletes_before_any_compaction(app, db, shelter_a, shelter_b, monkeypatch):
    """secure_delete is on where the purge's deletes run (inside write(), which may be another writer's
    connection: group commit), so even a file that is not compacted afterwards keeps no deleted name.
    Every connection here starts with it off, as SQLite builds whose default is off do: db.connect turns
    it on."""
    import sqlite3

    from shelter_ops.db import connect

    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    planted = _plant_everywhere(db, shelter_a, shelter_b)
    _close_and_hand_over(db, shelter_a)
    plain_connect = sqlite3.connect

    def default_off(*args, **kwargs):
        conn = plain_connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", default_off)
    purging = connect(app.config["DB"])
    monkeypatch.setattr(sqlite3, "connect", plain_connect)
    privacy.purge(purging, shelter_a["id"], actor="hq", role="hq", compact=False)
    purging.close()
    plain = sqlite3.connect(app.config["DB"])
    assert plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # the WAL's pages into the file
    plain.close()
    in_file = Path(app.config["DB"]).read_bytes()
    assert sorted(v for v in planted if v.encode() in in_file) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd (Linux) to see open files")
def test_the_compaction_copies_the_file_on_disk_not_in_memory(tmp_path):
    """VACUUM builds a copy of the whole database as temporary data, which db.connect keeps in memory
    (statement journals, tests/test_db.py): at a prefecture's HQ that copy is as large as the file
    (a 309 MB file took 349 MB of memory to compact), so the compaction writes it to a temporary file."""
    db = connect(str(tmp_path / "hq.sqlite"))
    migrate(db)
    db.execute("create table filler (x text)")
    db.conn.executemany("insert into filler values (?)", ((os.urandom(200).hex(),) for _ in range(15000)))
    db.conn.commit()
    seen = set()

    def look():
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if "etilqs_" in target:
                seen.add(target)
        return 0  # go on

    db.conn.set_progress_handler(look, 1000)
    assert privacy.compact_file(db)
    db.conn.set_progress_handler(None, 0)
    assert seen, "VACUUM kept its copy of the file in memory"
    assert db.execute("PRAGMA temp_store").fetchone()[0] == 2  # and the connection keeps its journals in memory again
