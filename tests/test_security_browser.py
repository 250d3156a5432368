"""The Content-Security-Policy in a real browser (headless Chromium): the screens a shelter uses
work under it, and the browser reports no blocked script, style, image or connection on them."""
import pytest

from shelter_ops.domain import accounts

from checkin_helpers import open_shelter
from conftest import PASSWORD

pytestmark = pytest.mark.browser

PAGES = ["/shelters/E1420400001111", "/shelters/E1420400001111/desk", "/shelters/E1420400001111/desk/roster",
         "/shelters/E1420400001111/occupancy", "/hq/", "/public/", "/door/E1420400001111",
         "/public/shelters/E1420400001111/display"]


def test_the_main_screens_run_under_the_policy_with_nothing_blocked(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    accounts.add_user(db, "hq-csp", PASSWORD, "hq")
    blocked = []
    browser_page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    browser_page.goto(live_server + "/login")
    browser_page.fill("input[name=name]", "hq-csp")
    browser_page.fill("input[name=password]", PASSWORD)
    browser_page.click("form button[type=submit], form button")
    browser_page.wait_for_load_state()
    for path in PAGES:
        response = browser_page.goto(live_server + path)
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        browser_page.wait_for_load_state("networkidle")
    assert not blocked, blocked
