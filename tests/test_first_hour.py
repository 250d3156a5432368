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
    tools = page.split('<nav class="tools">')[1].split("</nav>")[0]
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
