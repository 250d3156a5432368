"""What a shelter team meets in its first hour (#13): a way in, a guarded lifecycle, words not codes."""
import re
from pathlib import Path

import pytest

from shelter_ops.domain import households, reports, shelters, supplies

from checkin_helpers import open_shelter

ROOT = Path(__file__).resolve().parent.parent
REF = "E1420400001111"


# --- a way in ---

def test_the_public_page_leads_staff_to_the_sign_in(app):
    page = app.test_client().get("/", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.request.path == "/public/"
    assert 'href="/login"' in text and "職員ログイン" in text


def test_the_readme_says_where_to_sign_in():
    assert "/login" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- closing is HQ's decision ---

@pytest.fixture
def open_a(db, shelter_a):
    return open_shelter(db, shelter_a)


def test_staff_cannot_move_the_shelter_to_closing(db, open_a, signed_in):
    staff = signed_in("staff", open_a)
    page = staff.get(f"/shelters/{REF}")
    assert 'name="to" value="closing"' not in page.get_data(as_text=True)
    response = staff.post(f"/shelters/{REF}/transition", {"to": "closing", "confirm": "yes"}, page=page)
    assert response.status_code == 403
    assert shelters.get(db, open_a["id"])["state"] == "open"


def test_a_lead_confirms_before_reception_stops(db, open_a, signed_in):
    lead = signed_in("lead", open_a)
    page = lead.get(f"/shelters/{REF}")
    form = page.get_data(as_text=True).split('value="closing"')[1].split("</form>")[0]
    assert 'name="confirm"' in form and "required" in form
    refused = lead.post(f"/shelters/{REF}/transition", {"to": "closing"}, page=page)
    assert refused.status_code == 409 and shelters.get(db, open_a["id"])["state"] == "open"
    done = lead.post(f"/shelters/{REF}/transition", {"to": "closing", "confirm": "yes"}, page=page)
    assert done.status_code == 302 and shelters.get(db, open_a["id"])["state"] == "closing"


def test_the_desk_comes_first_and_closing_last_among_the_tools(open_a, signed_in):
    page = signed_in("lead", open_a).get(f"/shelters/{REF}").get_data(as_text=True)
    tools = page.split('<nav class="tools"')[1].split("</nav>")[0]
    links = re.findall(r'href="/shelters/[^/"]+/([^"]*)"', tools)
    assert links[0] == "desk" and links[-1] == "closing"


def test_the_level_override_starts_at_the_computed_level(db, open_a, signed_in, api):
    staff = api("staff", open_a)
    for _ in range(70):  # 体育館 350 m² / 3.5 = 100 places: 70 people is 混雑
        staff.post(f"/api/v1/shelters/{REF}/headcounts", json={"sex": "male", "age_band": "adult"})
    page = signed_in("lead", open_a).get(f"/shelters/{REF}/occupancy").get_data(as_text=True)
    select = page.split('name="level"')[1].split("</select>")[0]
    assert re.search(r'value="crowded"\s+selected', select)
    assert not re.search(r'value="vacant"\s+selected', select)


# --- checklist ---

def test_checklist_buttons_say_what_they_do(db, shelter_a, signed_in):
    page = signed_in("lead", shelter_a).get(f"/shelters/{REF}").get_data(as_text=True)
    todo = page.split('<ol class="checklist">')[1].split("</ol>")[0]
    assert "済みにする" in todo and "<button>済み</button>" not in todo


def test_the_first_report_ticks_its_checklist_item_whatever_kind_was_chosen(db, open_a, signed_in):
    staff = signed_in("staff", open_a)
    page = staff.get(f"/shelters/{REF}/reports")
    staff.post(f"/shelters/{REF}/reports", {"kind": "periodic"}, page=page)
    assert reports.last(db, open_a["id"])["no"] == 1
    marked = db.execute("select 1 from checklist_marks where shelter_id = ? and item = 'first_report'",
                        [open_a["id"]]).fetchone()
    assert marked


# --- words, not codes ---

def test_care_needs_read_as_words_on_the_roster_and_the_report(db, open_a, signed_in):
    households.register(db, open_a["id"], {"staying": "shelter"},
                        [{"name": "鎌倉 花子", "care_codes": ["PRG", "INF"]}, {"name": "鎌倉 一郎", "care_codes": ["ILL"]}],
                        actor="t", source="desk", status="checked_in")
    lead = signed_in("lead", open_a)
    roster = lead.get(f"/shelters/{REF}/desk/roster").get_data(as_text=True)
    report = lead.get(f"/shelters/{REF}/reports").get_data(as_text=True)
    for page in (roster, report):
        assert not re.search(r"\b(INF|ILL|PRG)\b", page)
    assert "妊娠中・授乳中" in roster and "病気・けが" in report
    lead.get("/lang/en", headers={"Referer": "http://localhost/"})
    english = lead.get(f"/shelters/{REF}/desk/roster").get_data(as_text=True)
    assert "Pregnant or nursing" in english and "With infants" in english


# --- supplies count everyone ---

def test_the_supplies_estimate_counts_heads_counted_at_the_door(db, open_a, signed_in, api):
    households.register(db, open_a["id"], {"staying": "shelter"}, [{"name": "鎌倉 花子", "age": 40}],
                        actor="t", source="desk", status="checked_in")
    staff = api("staff", open_a)
    for band in ("adult", "adult", "infant"):
        assert staff.post(f"/api/v1/shelters/{REF}/headcounts", json={"sex": "female", "age_band": band}).status_code == 200
    needs = supplies.estimate_needs(db, open_a["id"], days=3)
    assert needs["persons"] == 4 and needs["counted_only"] == 3 and needs["infants"] == 1
    by_key = {s["key"]: s for s in needs["supplies"] + needs["infant_supplies"]}
    assert by_key["water"]["quantity"] == 4 * 3 * 3 and by_key["meals"]["quantity"] == 4 * 3 * 3
    assert by_key["diapers"]["quantity"] == 8 * 3
    page = signed_in("staff", open_a)
    page.get("/lang/en", headers={"Referer": "http://localhost/"})
    text = page.get(f"/supplies/{REF}?days=1").get_data(as_text=True)
    assert "1 day" in text and "1 days" not in text
    needs_section = text.split('id="needs"')[1]
    assert "枚" not in needs_section and "pieces" in needs_section and "Drinking water" in needs_section


# --- the desk's counts stay true ---

def test_the_desk_header_follows_the_door_and_the_other_desks(app, db, open_a, signed_in):
    from test_live import socket_for, wait_for

    from checkin_helpers import DOOR_FORM

    staff = signed_in("staff", open_a)
    desk_page = staff.get(f"/shelters/{REF}/desk").get_data(as_text=True)
    assert 'data-live-room="shelter:' in desk_page and 'data-field="pending"' in desk_page
    room = socket_for(app, staff, f"shelter:{REF}")
    room.get_received()
    phone = app.test_client()
    form_page = phone.get(f"/door/{REF}")
    from conftest import csrf_from

    done = phone.post(f"/door/{REF}", data={**DOOR_FORM, "csrf_token": csrf_from(form_page)})
    assert done.status_code == 302
    wait_for(room, lambda m: m.get("desk", {}).get("pending") == 1)  # 受付待ち 1 世帯 at every desk
    number = households.roster(db, open_a["id"], statuses=("pending",))[0]["reception_number"]
    other_desk = signed_in("staff", open_a)
    answer = other_desk.post(f"/shelters/{REF}/desk/scan", {"code": number},
                             headers={"Accept": "application/json"}).json
    assert answer["result"] == "ok" and answer["counts"] == {"present": 2, "pending": 0, "outside": 0}
    wait_for(room, lambda m: m["present"] == 2 and m["desk"]["pending"] == 0)
    again = staff.get(f"/shelters/{REF}/desk").get_data(as_text=True)
    assert re.search(r'data-field="pending">0<', again) and re.search(r'data-field="present">2<', again)


# --- zones add up to everyone inside ---

def test_people_not_placed_count_in_the_only_general_zone(db, open_a, api):
    from shelter_ops.domain import capacity, paper

    staff = api("staff", open_a)
    staff.post(f"/api/v1/shelters/{REF}/checkins", json={"household": {"staying": "shelter"},
                                                         "persons": [{"name": "鎌倉 太郎"}, {"name": "鎌倉 花子"}]})
    for _ in range(3):
        staff.post(f"/api/v1/shelters/{REF}/headcounts", json={"sex": "male", "age_band": "adult"})
    snap = capacity.snapshot(db, {"M2_PER_PERSON": 3.5, "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60},
                             open_a["id"])
    assert snap["present"] == 5 and snap["zones"][0]["occupancy"] == 5 and snap["undecided"] == 0
    floor = paper.floor_data(db, {"M2_PER_PERSON": 3.5, "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60},
                             open_a)
    assert [(z["name"], z["present"]) for z in floor["zones"]] == [("体育館", 5)]  # not 体育館 現在 0人


def test_with_several_general_zones_the_unplaced_are_shown_as_undecided(db, signed_in, api):
    from conftest import insert_shelter
    from shelter_ops.domain import paper

    shelter = open_shelter(db, insert_shelter(db, zones=(("体育館", "general", 350.0), ("教室1", "general", 70.0),
                                                          ("保健室", "care", 20.0))))
    staff = api("staff", shelter)
    for _ in range(4):
        staff.post(f"/api/v1/shelters/{REF}/headcounts", json={"sex": "female", "age_band": "elderly"})
    config = {"M2_PER_PERSON": 3.5, "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60}
    floor = paper.floor_data(db, config, shelter)
    rows = {z["name"]: z["present"] for z in floor["zones"]}
    assert rows["区画未定"] == 4 and sum(n or 0 for n in rows.values()) == 4
    page = signed_in("lead", shelter).get(f"/shelters/{REF}/occupancy").get_data(as_text=True)
    undecided = page.split('data-testid="undecided"')[1].split("</li>")[0]
    assert "区画未定" in undecided and 'data-field="undecided">4<' in undecided


# --- import mistakes ---

def test_importing_a_picture_says_it_is_not_a_csv(db):
    from shelter_ops.importers import import_data

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    report = import_data(db, png, "map.png", actor="hq")
    text = report.text()
    assert not report.ok and "CSV か GeoJSON のファイルではありません" in text and "PNG" in text
    assert "このファイルの列" not in text and "not a CSV or GeoJSON file" in text


def test_reimporting_the_demo_shelters_changes_nothing(tmp_path, db):
    import csv
    import json

    from shelter_ops import demo
    from shelter_ops.importers import import_file

    demo.load_if_empty(db)
    data = json.loads(demo.DEMO_FILE.read_text(encoding="utf-8"))
    path = tmp_path / "kamakura.csv"
    columns = ["NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所", "指定緊急避難場所との住所同一",
               "その他市町村長が必要と認める事項", "受入対象者", "緯度", "経度", "備考"]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for n, s in enumerate(data["shelters"], 1):
            writer.writerow([n, s["kyotsu_id"], "神奈川県鎌倉市", s["name"], s["address"], "", "", "", s["lat"], s["lon"], ""])
    report = import_file(db, path, actor="hq")
    assert report.ok and report.added == 0 and report.updated == 0 and report.unchanged == len(data["shelters"])


# --- small things a new user trips on ---

def test_the_public_list_starts_with_the_open_shelters(db, app):
    from conftest import insert_shelter

    for n, (name, state) in enumerate([("あおば小学校", "closed"), ("いずみ小学校", "standby"), ("うみ小学校", "open"),
                                       ("えき小学校", "standby"), ("おか小学校", "open")], 1):
        insert_shelter(db, f"E14204{n:05d}111", name, state=state)
    page = app.test_client().get("/public/").get_data(as_text=True)
    listed = re.findall(r'class="status-name"[^>]*>([^<]+)<', page)
    assert listed[:2] == ["うみ小学校", "おか小学校"]
    near = app.test_client().get("/public/?lat=35.31&lon=139.55").get_data(as_text=True)
    assert [s for s in re.findall(r'data-state="(\w+)"', near.split('class="status-list"')[1])][:2] == ["open", "open"]


def test_the_entrance_display_says_the_level_in_japanese_and_english(db, app):
    from conftest import insert_shelter

    insert_shelter(db, state="open")
    page = app.test_client().get(f"/public/shelters/{REF}/display").get_data(as_text=True)
    assert "空いています / Vacant" in page or "確認中 / Being checked" in page


def test_the_door_form_marks_what_can_be_opened(db, app, shelter_a):
    open_shelter(db, shelter_a)
    page = app.test_client().get(f"/door/{REF}").get_data(as_text=True)
    health = page.split("<details")[1].split("</summary>")[0]
    assert "more-marker" in health and "▶" in health and "タップで開く" in health


def test_the_desk_form_keeps_optional_details_folded(db, open_a, signed_in):
    page = signed_in("staff", open_a).get(f"/shelters/{REF}/desk/register").get_data(as_text=True)
    person = page.split('<fieldset class="person"')[1].split("</fieldset>")[0]
    before_fold = person.split("<details")[0]
    assert 'name="p0_name"' in before_fold and 'name="p0_age"' in before_fold
    assert 'name="p0_kana"' not in before_fold and "<details class=\"more\" open" not in person
    household = page.split('<fieldset class="household"')[1]
    assert household.index('name="staying"') < household.index("<details") < household.index('name="address"')


def test_a_favicon_is_served(app):
    response = app.test_client().get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
