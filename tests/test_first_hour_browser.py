"""The first hour in a real browser (headless Chromium, #13): a desk form that fits, desk counts that follow."""
import pytest
from shelter_ops.domain import accounts, households

from checkin_helpers import open_shelter
from conftest import PASSWORD

pytestmark = pytest.mark.browser
REF = "E1420400001111"
TABLET = {"width": 1180, "height": 820}


def sign_in(page, server, db, name, role, shelter=None):
    accounts.add_user(db, name, PASSWORD, role, shelter_id=shelter["id"] if shelter else None)
    page.goto(server + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button.primary")
    page.wait_for_load_state()


def test_the_desk_registration_form_fits_a_few_tablet_screens(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    browser_page.set_viewport_size(TABLET)
    sign_in(browser_page, live_server, db, "desk1", "staff", shelter_a)
    browser_page.goto(f"{live_server}/shelters/{REF}/desk/register")
    height = browser_page.evaluate("document.documentElement.scrollHeight")
    assert height <= 3 * TABLET["height"], f"the form is {height} px tall"
    browser_page.click("fieldset.person summary >> nth=1")  # the first person's health needs open on a tap
    assert browser_page.is_visible("input[name=p0_medication]")


def test_the_desk_header_counts_change_when_another_desk_checks_in(browser_page, live_server, db, shelter_a, api):
    open_shelter(db, shelter_a)
    sign_in(browser_page, live_server, db, "desk1", "staff", shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "受付 太郎"}, {"name": "受付 花子"}],
                                     actor="door", source="door")
    browser_page.goto(f"{live_server}/shelters/{REF}/desk")
    assert browser_page.inner_text('[data-testid="pending"]') == "1"
    browser_page.wait_for_timeout(1000)  # the page's socket has joined the shelter's room
    other_desk = api("staff", shelter_a)  # the same app: its live hub reaches this page
    response = other_desk.post(f"/api/v1/shelters/{REF}/checkins", json={"code": household["reception_number"]})
    assert response.status_code == 201
    browser_page.wait_for_function(
        "() => document.querySelector('[data-testid=present]').textContent === '2' && "
        "document.querySelector('[data-testid=pending]').textContent === '0'", timeout=10000)


def test_the_hq_map_follows_a_shelter_filling_up(browser_page, live_server, db, shelter_a, api):
    open_shelter(db, shelter_a)
    sign_in(browser_page, live_server, db, "hq1", "hq")
    browser_page.goto(f"{live_server}/hq/")
    marker = f'.hq-map g.marker[data-kyotsu="{REF}"]'
    assert "level-vacant" in browser_page.get_attribute(marker, "class") or \
        "level-stale" in browser_page.get_attribute(marker, "class")
    browser_page.wait_for_timeout(1000)  # joined the hq room
    desk = api("staff", shelter_a)
    for _ in range(85):  # 体育館 350 m² / 3.5 = 100 places: 85 people is 満
        desk.post(f"/api/v1/shelters/{REF}/headcounts", json={"sex": "male", "age_band": "adult"})
    browser_page.wait_for_function(
        f"() => document.querySelector('{marker}').classList.contains('level-full')", timeout=10000)
    assert browser_page.get_attribute(f"{marker} use.shape", "href") == "#shape-full"  # its shape follows: ■
