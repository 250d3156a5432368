"""Closing: consolidation, the handover export, the purge (refused before export), retention, no trace left."""
import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from closing_helpers import family, known_roster, open_shelter
from shelter_ops.domain import clock, closing, households, inquiries, privacy, reports, resident_requests, shelters

SECRET = (("腰越秘子", "こしごえひでこ", "female", "1990-03-03", []),)


def close(db, shelter):
    if shelters.get(db, shelter["id"])["state"] == "open":
        shelters.transition(db, shelter["id"], "closing", actor="hq", role="hq", confirmed=True)
    return shelters.transition(db, shelter["id"], "closed", actor="hq", role="hq", confirmed=True)


def test_consolidation_leaves_a_empty_and_b_counts_right_then_a_can_close(db, shelter_a, shelter_b, signed_in):
    known_roster(db, shelter_a)
    open_shelter(db, shelter_b)
    family(db, shelter_b, phone="0467-33-3333", people=(("極楽寺四郎", "ごくらくじしろう", "male", "1960-01-01", []),))
    households.count_head(db, shelter_a["id"], "female", "elderly", actor="desk")
    assert shelters.present_count(db, shelter_a["id"]) == 4
    lead = signed_in("lead", shelter_a)
    page = lead.get("/shelters/E1420400001111/closing")
    assert page.status_code == 200 and "第二小学校" in page.get_data(as_text=True)
    unconfirmed = lead.post("/shelters/E1420400001111/closing/consolidate", {"to": shelter_b["id"]}, page=page)
    assert unconfirmed.status_code == 409 and shelters.present_count(db, shelter_a["id"]) == 4
    done = lead.post("/shelters/E1420400001111/closing/consolidate", {"to": shelter_b["id"], "confirm": "yes"},
                     page=page)
    assert done.status_code == 302
    counts = households.present_counts(db)
    assert counts.get(shelter_a["id"], {}).get("total", 0) == 0
    assert counts[shelter_b["id"]]["total"] == 1 + 4
    assert households.outside_counts(db)[shelter_b["id"]] == {"home": 1}  # the household at home moved too
    assert shelters.get(db, shelter_a["id"])["state"] == "closing"  # no new admissions at A
    assert close(db, shelter_a)["state"] == "closed"
    report = reports.submit(db, shelter_b["id"], {}, actor="lead")
    assert (report["total"], report["men"], report["women"]) == (5, 3, 2)


def test_consolidation_only_into_an_open_shelter(db, shelter_a, shelter_b, api):
    known_roster(db, shelter_a)
    response = api("hq").post("/api/v1/shelters/E1420400001111/consolidate",
                              json={"to": "E1420400002111", "confirm": True})
    assert response.status_code == 409
    assert "開設していません" in response.get_json()["error"]["message_ja"]
    assert shelters.present_count(db, shelter_a["id"]) == 3


def _closed_with_final_report(db, shelter):
    close(db, shelter)
    reports.submit(db, shelter["id"], {}, actor="lead", kind="final")


def test_purge_is_refused_before_the_handover_export(db, shelter_a, api, signed_in):
    open_shelter(db, shelter_a)
    _closed_with_final_report(db, shelter_a)
    refused = api("hq").post("/api/v1/shelters/E1420400001111/purge", json={"confirm": True})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert "引き渡し" in error["message_ja"] and "export" in error["message_en"].lower()
    lead = signed_in("lead", shelter_a)
    assert lead.post("/shelters/E1420400001111/closing/purge", {"confirm": "yes"}).status_code == 409
    assert closing.status(db, shelter_a["id"])["next"] == "export"


def test_the_export_needs_a_closed_shelter_and_the_final_report(db, shelter_a, api):
    open_shelter(db, shelter_a)
    hq = api("hq")
    assert hq.post("/api/v1/shelters/E1420400001111/handover", json={"reason": "r"}).status_code == 409
    close(db, shelter_a)
    refused = hq.post("/api/v1/shelters/E1420400001111/handover", json={"reason": "r"})
    assert refused.status_code == 409 and "最終報告" in refused.get_json()["error"]["message_ja"]
    reports.submit(db, shelter_a["id"], {}, actor="lead", kind="final")
    assert hq.post("/api/v1/shelters/E1420400001111/handover", json={}).status_code == 400  # why is required
    assert hq.post("/api/v1/shelters/E1420400001111/handover", json={"reason": "本部へ引き渡し"}).status_code == 200


def test_the_handover_holds_the_roster_and_event_log_and_is_logged(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    left = family(db, shelter_a)
    hidden = households.register(db, shelter_a["id"], {"phone": "080-1111-2222", "consent": "public"},
                                 [{"name": "腰越秘子", "non_disclosure": True}, {"name": "腰越健太"}],
                                 actor="desk", source="desk", status="checked_in")
    households.check_out(db, shelter_a["id"], left["id"], actor="desk")
    households.check_out(db, shelter_a["id"], hidden["id"], actor="desk")
    _closed_with_final_report(db, shelter_a)
    lead = signed_in("lead", shelter_a)
    page = lead.get("/shelters/E1420400001111/closing")
    response = lead.post("/shelters/E1420400001111/closing/export", {"reason": "閉鎖に伴う引き渡し"}, page=page)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"roster.csv", "events.csv", "roster.pdf"} <= names
    assert archive.read("roster.pdf").startswith(b"%PDF")
    roster = list(csv.reader(io.StringIO(archive.read("roster.csv").decode("utf-8-sig"))))
    assert roster[0][:3] == ["受付番号", "状態", "滞在場所"] and "氏名" in roster[0] and "電話番号" in roster[0]
    assert sorted(r[roster[0].index("氏名")] for r in roster[1:]) == ["鎌倉太郎", "鎌倉花子"]
    everything = b"".join(archive.read(n) for n in names)
    assert "腰越秘子".encode() not in everything and b"080-1111-2222" not in everything
    assert "腰越健太".encode() not in everything  # the hidden person's family is not exported either
    assert b"household.checked_out" in archive.read("events.csv")
    (event,) = closing.exports(db, shelter_a["id"])
    assert event["actor"].startswith("lead") and event["payload"]["reason"] == "閉鎖に伴う引き渡し"
    assert event["payload"]["households"] == [left["id"]] and event["payload"]["persons"] == 2


def _raw_bytes(app):
    path = Path(app.config["DB"])
    return b"".join(p.read_bytes() for p in (path, Path(str(path) + "-wal")) if p.exists())


def test_after_the_purge_no_personal_value_remains_in_the_database_file(app, db, shelter_a, shelter_b, api):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    left = family(db, shelter_a, phone="0467-55-1234")
    hidden = family(db, shelter_a, consent="public", non_disclosure=True, phone="080-1111-2222",
                    address="鎌倉市腰越9-9-9", people=SECRET)
    family(db, shelter_a, phone="0467-99-0000", address="鎌倉市材木座5-5",
                   people=(("由比ヶ浜一郎", "ゆいがはまいちろう", "male", "2024-01-01", ["INF"]),))
    households.check_out(db, shelter_a["id"], left["id"], actor="desk")
    households.check_out(db, shelter_a["id"], hidden["id"], actor="desk")
    inquiries.ask(db, {"name": "鎌倉太郎", "relation": "household", "inquirer_name": "親戚"}, operator="hq")
    reports.submit(db, shelter_a["id"], {"urgent": "鎌倉太郎さん 通院の付き添いが必要"}, actor="lead")
    hq = api("hq")
    assert hq.post("/api/v1/shelters/E1420400001111/consolidate",
                   json={"to": "E1420400002111", "confirm": True}).status_code == 200
    _closed_with_final_report(db, shelter_a)
    personal = ["鎌倉太郎", "鎌倉花子", "かまくらたろう", "かまくらはなこ", "腰越秘子", "こしごえひでこ",
                "0467-55-1234", "080-1111-2222", "鎌倉市御成町1-1", "鎌倉市腰越9-9-9", "1980-04-01", "1990-03-03"]
    before = _raw_bytes(app)
    assert all(value.encode() in before for value in personal)  # the search below can find them
    assert hq.post("/api/v1/shelters/E1420400001111/handover", json={"reason": "引き渡し"}).status_code == 200
    purged = hq.post("/api/v1/shelters/E1420400001111/purge", json={"confirm": True})
    assert purged.status_code == 200 and purged.get_json()["persons"] == 3
    after = _raw_bytes(app)
    assert [value for value in personal if value.encode() in after] == []
    # what happened remains, without who; the resident who moved on keeps a record at B
    assert "由比ヶ浜一郎".encode() in after
    assert db.execute("select count(*) from events where shelter_id = ? and kind = 'household.checked_out'",
                      [shelter_a["id"]]).fetchone()[0] == 2
    (summary,) = privacy.summaries(db, shelter_a["id"])
    assert (summary["households"], summary["persons"]) == (2, 3)
    assert summary["counts"]["sex"] == {"male": 1, "female": 2}
    assert closing.status(db, shelter_a["id"])["next"] == "done"
    assert "[削除]" in reports.history(db, shelter_id=shelter_a["id"])[-1]["data"]["urgent"]
    again = hq.post("/api/v1/shelters/E1420400001111/handover", json={"reason": "もう一度"})
    assert again.status_code == 409  # nothing personal is left to hand over


def test_retention_purges_handed_over_shelters_n_days_after_closing(app, db, shelter_a, shelter_b):
    for shelter in (shelter_a, shelter_b):
        open_shelter(db, shelter)
        households.check_out(db, shelter["id"], family(db, shelter, phone=f"0467-{shelter['kyotsu_id'][-5:]}")["id"],
                             actor="desk")
        _closed_with_final_report(db, shelter)
    closing.export(db, shelter_a["id"], actor="hq", role="hq", reason="引き渡し")
    closed = date.fromisoformat(clock.today(shelters.get(db, shelter_a["id"])["closed_at"]))  # Japan's day
    assert privacy.purge_due(db, closed + timedelta(days=29), retention_days=30) == {"purged": [], "not_exported": []}
    result = privacy.purge_due(db, closed + timedelta(days=30), retention_days=30)
    assert result == {"purged": [shelter_a["id"]], "not_exported": [shelter_b["id"]]}
    assert db.execute("select count(*) from persons p join households h on h.id = p.household_id "
                      "where h.shelter_id = ? and p.name is not null", [shelter_a["id"]]).fetchone()[0] == 0
    assert db.execute("select count(*) from persons p join households h on h.id = p.household_id "
                      "where h.shelter_id = ? and p.name is not null", [shelter_b["id"]]).fetchone()[0] == 2
    assert privacy.purge_due(db, closed + timedelta(days=31), retention_days=30)["purged"] == []


def test_the_purge_command_runs_the_retention_purge(app, db, shelter_a):
    open_shelter(db, shelter_a)
    households.check_out(db, shelter_a["id"], family(db, shelter_a)["id"], actor="desk")
    _closed_with_final_report(db, shelter_a)
    closing.export(db, shelter_a["id"], actor="hq", role="hq", reason="引き渡し")
    runner = app.test_cli_runner()
    today = date.today()
    result = runner.invoke(args=["purge", "--due", "--today", today.isoformat()])
    assert result.exit_code == 0 and "nothing due" in result.output
    later = today + timedelta(days=app.config["RETENTION_DAYS"] + 1)
    result = runner.invoke(args=["purge", "--due", "--today", later.isoformat()])
    assert result.exit_code == 0 and "purged 第一小学校" in result.output
    assert closing.status(db, shelter_a["id"])["purged"]


def test_closing_screens_are_for_leads_and_hq(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    assert staff.get("/shelters/E1420400001111/closing").status_code == 403
    assert staff.get("/hq/closing").status_code == 403
    assert signed_in("lead", shelter_a).get("/hq/closing").status_code == 403
    page = signed_in("hq").get("/hq/closing")
    assert page.status_code == 200


def test_the_purge_also_removes_names_residents_gave_with_their_requests(app, db, shelter_a):
    open_shelter(db, shelter_a)
    households.check_out(db, shelter_a["id"], family(db, shelter_a)["id"], actor="desk")
    item = resident_requests.submit(db, shelter_a["id"], category="food", text="鎌倉太郎です。おかゆをください",
                                    name="稲村ヶ崎五郎", room="体育館の奥", source="paper", actor="desk")
    _closed_with_final_report(db, shelter_a)
    closing.export(db, shelter_a["id"], actor="hq", role="hq", reason="引き渡し")
    privacy.purge(db, shelter_a["id"], actor="hq", role="hq")
    row = db.execute("select name, room, text, category from resident_requests where id = ?", [item["id"]]).fetchone()
    assert row == (None, None, "[削除]", "food")  # the text is sealed whole: by design, not by searching it
    after = _raw_bytes(app)
    assert "稲村ヶ崎五郎".encode() not in after and "鎌倉太郎".encode() not in after


def test_the_retention_purge_runs_when_the_app_starts(app, db, shelter_a):
    from shelter_ops import create_app

    open_shelter(db, shelter_a)
    households.check_out(db, shelter_a["id"], family(db, shelter_a)["id"], actor="desk")
    _closed_with_final_report(db, shelter_a)
    closing.export(db, shelter_a["id"], actor="hq", role="hq", reason="引き渡し")
    long_ago = (datetime.now() - timedelta(days=app.config["RETENTION_DAYS"] + 1)).astimezone().isoformat()
    db.execute("update shelters set closed_at = ? where id = ?", [long_ago, shelter_a["id"]])
    db.conn.commit()
    assert not closing.status(db, shelter_a["id"])["purged"]
    create_app({"DB": app.config["DB"], "SECRET_KEY": "test", "DEMO": False, "TESTING": True})
    assert closing.status(db, shelter_a["id"])["purged"]
    assert "鎌倉太郎".encode() not in _raw_bytes(app)


def test_a_reader_that_delays_compaction_leaves_it_owed_and_the_next_run_finishes(app, db, shelter_a):
    from shelter_ops.db import connect

    open_shelter(db, shelter_a)
    households.check_out(db, shelter_a["id"], family(db, shelter_a)["id"], actor="desk")
    _closed_with_final_report(db, shelter_a)
    closing.export(db, shelter_a["id"], actor="hq", role="hq", reason="引き渡し")
    reader = connect(app.config["DB"])
    try:
        reader.execute("BEGIN")
        reader.execute("select count(*) from persons").fetchone()  # holds an old snapshot open
        result = privacy.purge(db, shelter_a["id"], actor="hq", role="hq")
        assert result["compacted"] is False and privacy.compaction_owed(db)
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    privacy.purge_due(db, date.today(), retention_days=app.config["RETENTION_DAYS"])
    assert not privacy.compaction_owed(db)
    assert "鎌倉太郎".encode() not in _raw_bytes(app) and b"0467-55-1234" not in _raw_bytes(app)


def test_a_lead_of_another_shelter_cannot_move_or_purge_this_ones_people(db, shelter_a, shelter_b, signed_in, api):
    known_roster(db, shelter_a)
    open_shelter(db, shelter_b)
    other = signed_in("lead", shelter_b)
    assert other.post("/shelters/E1420400001111/closing/consolidate",
                      {"to": shelter_b["id"], "confirm": "yes"}).status_code == 403
    assert api("lead", shelter_b).post("/api/v1/shelters/E1420400001111/purge", json={"confirm": True}).status_code == 403
    assert api("staff", shelter_a).post("/api/v1/shelters/E1420400001111/consolidate",
                                        json={"to": "E1420400002111", "confirm": True}).status_code == 403
    assert shelters.present_count(db, shelter_a["id"]) == 3


# the ways a person types a name at an inquiry desk: spaces or none, kana either way, full or half width
TYPED = ("鎌倉 花子", "鎌倉　花子", "鎌倉花子", "かまくら はなこ", "カマクラハナコ", "ｶﾏｸﾗ ﾊﾅｺ", "ｶﾏｸﾗﾊﾅｺ",
         "腰越 秘子", "コシゴエヒデコ")


def _forms(typed):
    """Every spelling of a typed name that the database file could hold."""
    import unicodedata

    folded = "".join(unicodedata.normalize("NFKC", typed).split())
    hira = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in folded)
    kata = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in folded)
    return {typed, folded, hira, kata}


def test_the_purge_removes_every_inquiry_about_the_shelters_people_however_the_name_was_typed(
        app, db, shelter_a, shelter_b, api):
    open_shelter(db, shelter_a)
    seen = family(db, shelter_a, consent="public")
    hidden = family(db, shelter_a, non_disclosure=True, people=SECRET)
    for typed in TYPED:
        for relation in ("household", "acquaintance"):
            inquiries.ask(db, {"name": typed, "relation": relation, "inquirer_name": "横浜 次郎",
                               "inquirer_contact": "045-000-1111", "reason": f"{typed}さんを探しています"},
                          operator="hq")
    # an inquiry about someone at no shelter stays in the log, as it was asked
    inquiries.ask(db, {"name": "大船 三郎", "relation": "other", "inquirer_name": "藤沢 四郎"}, operator="hq")
    for household in (seen, hidden):
        households.check_out(db, shelter_a["id"], household["id"], actor="desk")
    _closed_with_final_report(db, shelter_a)
    hq = api("hq")
    assert hq.post("/api/v1/shelters/E1420400001111/handover", json={"reason": "引き渡し"}).status_code == 200
    assert hq.post("/api/v1/shelters/E1420400001111/purge", json={"confirm": True}).status_code == 200
    after = _raw_bytes(app)
    planted = set().union(*(_forms(t) for t in TYPED)) | {"横浜 次郎", "045-000-1111"}
    assert sorted(v for v in planted if v.encode() in after) == []
    assert "第一小学校".encode() not in b"".join(r[0].encode() for r in db.execute("select answer from inquiries"))
    assert "大船三郎".encode() in after
    assert len(inquiries.log(db)) == 2 * len(TYPED) + 1  # the log keeps that an inquiry was made
