"""Hostile input (#10): the corpus in tests/hostile/ (names, spreadsheet formulas, nested JSON and
GeoJSON, a decompression-bomb PNG) and the other refusals an attacker or a careless operator meets:
each is a 4xx in ja and en, never a 500, and nothing unsafe is stored or exported."""
import csv
import io
import json
from pathlib import Path

import pytest

from shelter_ops.db import connect
from shelter_ops.domain import closing, households, reports, shelters

from checkin_helpers import DOOR_FORM, open_shelter
from conftest import insert_shelter

HOSTILE = Path(__file__).resolve().parent / "hostile"
NAMES = json.loads((HOSTILE / "names.json").read_text(encoding="utf-8"))["names"]
FORMULAS = json.loads((HOSTILE / "formulas.json").read_text(encoding="utf-8"))["cells"]
A = "/api/v1/shelters/E1420400001111"


@pytest.fixture
def open_a(db, shelter_a):
    return open_shelter(db, shelter_a)


def refused_in_both_languages(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["message_ja"] and error["message_en"]
    return error


# --- item 16 (and 11): names are stored clean ---

@pytest.mark.parametrize("typed, stored", NAMES)
def test_invisible_and_control_characters_never_reach_the_database(db, open_a, api, typed, stored):
    body = json.dumps({"household": {}, "persons": [{"name": typed}, {"name": "同行 者"}]})  # escapes kept
    response = api("hq").post(f"{A}/checkins", data=body, content_type="application/json")
    assert response.status_code in (201, 400), response.get_data(as_text=True)[:300]
    if stored is not None:
        assert response.status_code == 201
        names = [p["name"] for p in response.get_json()["household"]["persons"]]
        assert names[0] == stored
    raw = [row[0] for row in db.execute("select name from persons")]
    assert not any(c in (name or "") for name in raw for c in "\x00\u202e\ufeff\u200b")
    for name in raw:
        (name or "").encode("utf-8")  # raises on a lone surrogate


def test_the_door_form_cleans_names_the_same_way(app, db, open_a):
    from checkin_helpers import DOOR_FORM as form
    from conftest import csrf_from

    phone = app.test_client()
    page = phone.get("/door/E1420400001111")
    response = phone.post("/door/E1420400001111", data={**form, "p0_name": "\u202e子花 倉鎌\x00",
                                                         "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert db.execute("select count(*) from persons where name = '子花 倉鎌'").fetchone()[0] == 1


# --- item 6: no formula reaches a spreadsheet ---

def cells(csv_bytes):
    return [cell for row in csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))) for cell in row]


def assert_no_formula(all_cells):
    starts = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
    assert not [c for c in all_cells if c.startswith(starts)], all_cells


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_public_status_csv_shows_a_formula_in_a_shelter_name_as_text(app, db, formula):
    insert_shelter(db, "E1420400009111", formula)
    body = app.test_client().get("/public/status.csv").data
    assert_no_formula(cells(body))
    assert any(c.startswith("'") and formula.strip() in c for c in cells(body))


def test_the_handover_roster_and_the_reports_csv_show_typed_formulas_as_text(app, db, open_a):
    persons = [{"name": f, "notes": f} for f in FORMULAS[:4]]
    households.register(db, open_a["id"], {"address": "=1+1", "phone": "+81 90 0000 0000"}, persons,
                        actor="door", source="door", status="checked_in")
    roster_cells = cells(closing.roster_csv(closing.handover_roster(db, open_a["id"])))
    assert_no_formula(roster_cells)
    assert "'=1+1" in roster_cells and "'+81 90 0000 0000" in roster_cells
    reports.submit(db, open_a["id"], {"urgent": "=HYPERLINK(\"http://evil.example\")", "reason": "@x"},
                   actor="-lead", config=app.config)
    assert_no_formula(cells(reports.to_csv(reports.history(db))))


def test_the_hq_and_api_reports_csv_too(app, db, open_a, signed_in, api):
    reports.submit(db, open_a["id"], {"urgent": "=cmd|' /C calc'!A0"}, actor="lead", config=app.config)
    assert_no_formula(cells(signed_in("hq").get("/hq/reports.csv").data))
    assert_no_formula(cells(api("hq").get("/api/v1/reports?format=csv").data))


# --- item 11: deep nesting, impossible dates, bombs: 4xx, never 500 ---

def test_a_deeply_nested_json_body_is_a_400(api, open_a):
    body = (HOSTILE / "deep-body.json").read_text()
    refused_in_both_languages(api("hq").post(f"{A}/checkins", data=body, content_type="application/json"), 400)


def test_a_json_body_nested_past_the_limit_is_refused_even_when_python_could_parse_it(app, api, open_a):
    body = '{"code": "K7Q2-M9XA", "extra": ' + "[" * 40 + "]" * 40 + "}"  # a field the schema leaves free
    error = refused_in_both_languages(api("hq").post(f"{A}/checkins", data=body, content_type="application/json"),
                                      400)
    assert error["message_en"] == "Send a JSON body."  # refused as unreadable, before any domain code


def test_a_json_body_over_its_size_limit_is_a_413_before_it_is_parsed(app, api, open_a):
    app.config["MAX_JSON_KB"] = 64
    body = json.dumps({"household": {}, "persons": [{"name": "人", "notes": "x" * 900}] * 100})
    error = refused_in_both_languages(api("hq").post(f"{A}/checkins", data=body, content_type="application/json"),
                                      413)
    assert "64 KB" in error["message_en"]


def test_a_request_over_the_upload_limit_is_a_413(app, signed_in):
    assert app.config["MAX_CONTENT_LENGTH"] == 70 * 1024 * 1024  # MAX_UPLOAD_MB: an import file of 64 MB fits
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    hq = signed_in("hq")
    response = hq.post("/hq/import", {"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.csv")},
                       content_type="multipart/form-data")
    assert response.status_code == 413


@pytest.mark.parametrize("name", ["deep-geometry.geojson", "deep-top-level.geojson"])
def test_deeply_nested_geojson_is_refused_at_import_by_command_and_by_upload(app, db, signed_in, tmp_path, name):
    result = app.test_cli_runner().invoke(args=["import", "--quiet", str(HOSTILE / name)])
    assert result.exit_code == 1 and "nested too deeply" in result.output and "Traceback" not in result.output
    hq = signed_in("hq")
    page = hq.get("/hq/import")
    response = hq.post("/hq/import", {"file": (io.BytesIO((HOSTILE / name).read_bytes()), name)}, page=page,
                       content_type="multipart/form-data")
    assert response.status_code == 400 and "入れ子が深すぎます" in response.get_data(as_text=True)
    assert db.execute("select count(*) from shelters").fetchone()[0] == 0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_a_log_day_at_the_end_of_the_calendar_is_a_400(api, open_a, signed_in, day):
    refused_in_both_languages(api("hq").get(f"{A}/log?day={day}"), 400)
    assert signed_in("hq").get(f"/running/E1420400001111/log?day={day}").status_code == 400


def test_a_decompression_bomb_photo_at_the_desk_is_refused(db, open_a, signed_in):
    staff = signed_in("staff", open_a)
    bomb = (HOSTILE / "bomb-20000x20000.png").read_bytes()
    assert len(bomb) < 200  # a few bytes that would decode to 400 million pixels
    result = staff.post("/shelters/E1420400001111/desk/scan", {"photo": (io.BytesIO(bomb), "IMG.png")},
                        headers={"Accept": "application/json"}, content_type="multipart/form-data").get_json()
    assert result["result"] == "unknown" and result["status"] == 400 and result["message_en"]


# --- item 4: a household with a 非公開 member gives nothing away to staff ---

def test_staff_see_no_address_phone_or_contact_of_a_household_with_a_hidden_member(db, open_a, api):
    household = {"address": "鎌倉市御成町1-1", "phone": "0467-00-0000", "emergency_contact": "母 090-0000-0000"}
    persons = [{"name": "隠 れる", "non_disclosure": True}, {"name": "同 行"}]
    lead = api("lead", open_a)
    created = lead.post(f"{A}/checkins", json={"household": household, "persons": persons}).get_json()["household"]
    assert created["phone"] == "0467-00-0000"  # the lead sees it, as the export's restricted path does
    staff = api("staff", open_a)
    roster = staff.get(f"{A}/households").get_json()
    seen = json.dumps(roster, ensure_ascii=False)
    assert "同 行" in seen and "御成町" not in seen and "0467-00-0000" not in seen and "090-0000" not in seen
    again = staff.post(f"{A}/checkins", json={"code": created["reception_number"]}).get_json()
    away = staff.post(f"{A}/absences", json={"household_id": created["id"], "state": "away"}).get_json()
    for answer in (again, away):
        text = json.dumps(answer, ensure_ascii=False)
        assert "御成町" not in text and "0467-00-0000" not in text and "隠 れる" not in text


# --- item 7: a hidden shelter has no public door ---

def test_a_hidden_shelters_door_is_not_found_and_takes_no_registration(app, db, open_a):
    shelters.set_hidden(db, open_a["id"], True, actor="hq")
    phone = app.test_client()
    assert phone.get("/door/E1420400001111").status_code == 404
    assert phone.get("/door/E1420400001111/qr.svg").status_code == 404
    assert phone.post("/door/E1420400001111", data=DOOR_FORM).status_code in (400, 404)  # no CSRF token to be had
    assert db.execute("select count(*) from households").fetchone()[0] == 0


# --- item 10: staff cannot decide to close, inflate capacity, or take another shelter's family ---

def test_staff_cannot_close_their_own_shelter(db, open_a, api):
    staff = api("staff", open_a)
    refused_in_both_languages(staff.post(f"{A}/transitions", json={"to": "closing", "confirm": True}), 403)
    assert shelters.get(db, open_a["id"])["state"] == "open"
    assert api("hq").post(f"{A}/transitions", json={"to": "closing", "confirm": True}).status_code == 200
    refused_in_both_languages(staff.post(f"{A}/transitions", json={"to": "closed", "confirm": True}), 403)
    assert shelters.get(db, open_a["id"])["state"] == "closing"


@pytest.mark.parametrize("m2", [100000, 5001, float("inf")])
def test_a_zone_larger_than_any_real_floor_is_refused(db, shelter_a, m2):
    from shelter_ops.domain.errors import Invalid

    with pytest.raises(Invalid) as refused:
        shelters.add_zone(db, shelter_a["id"], {"name": "体育館", "usable_m2": m2}, actor="staff1")
    assert "5,000" in refused.value.ja and "5,000" in refused.value.en
    assert shelters.add_zone(db, shelter_a["id"], {"name": "アリーナ", "usable_m2": 4000}, actor="hq")


def test_staff_cannot_pull_another_shelters_waiting_family_in_by_its_id(db, open_a, shelter_b, signed_in):
    open_shelter(db, shelter_b)
    waiting = households.register(db, shelter_b["id"], {}, [{"name": "待 機"}], actor="door", source="door")
    staff = signed_in("staff", open_a)
    page = staff.get("/shelters/E1420400001111/desk/roster")
    response = staff.post(f"/shelters/E1420400001111/desk/households/{waiting['id']}/checkin", page=page)
    assert response.status_code == 404
    assert households.get(db, waiting["id"])["shelter_id"] == shelter_b["id"]
    assert households.get(db, waiting["id"])["status"] == "pending"


# --- item 12: a socket cannot ask for endless snapshots ---

def test_one_socket_gets_a_bounded_number_of_snapshots(app, db, open_a):
    from shelter_ops.live import SNAPSHOTS_PER_MINUTE, socketio

    client = socketio.test_client(app)
    client.get_received()
    for _ in range(SNAPSHOTS_PER_MINUTE + 20):
        client.emit("join", "public")
    received = client.get_received()
    snapshots = [m for m in received if m["name"] == "snapshot"]
    refusals = [m for m in received if m["name"] == "refused"]
    assert len(snapshots) == SNAPSHOTS_PER_MINUTE and refusals
    assert refusals[0]["args"][0]["message_ja"] and refusals[0]["args"][0]["message_en"]
    client.disconnect()


def test_a_fresh_connection_gets_its_snapshot(app, db, open_a):
    from shelter_ops.live import socketio

    client = socketio.test_client(app, query_string="room=public")
    assert [m for m in client.get_received() if m["name"] == "snapshot"]
    client.disconnect()
    connect(app.config["DB"]).close()
