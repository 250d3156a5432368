"""Keyboard alone, in headless Chromium: every control of the door's registration form and of the desk is reached
with Tab and shows a visible focus ring (an outline or a box-shadow), and the form is filled and sent, the desk
signed in to and a household checked in, with keys only."""
import pytest

from shelter_ops.domain import households

from checkin_helpers import open_shelter
from conftest import PASSWORD

pytestmark = pytest.mark.browser

REF = "E1420400001111"
TABBABLE = ("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])")

# What has the focus, and whether one can see it: an outline or a box-shadow drawn around it (or, for a checkbox
# inside its chip, around the chip).
FOCUSED = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const ring = (el) => {
        const s = getComputedStyle(el);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    };
    const chip = e.closest('.chip');
    return {name: e.name || e.id || e.getAttribute('href') || e.textContent.trim().slice(0, 30),
            tag: e.tagName.toLowerCase(), type: e.type || '', seen: ring(e) || (!!chip && ring(chip)),
            key: e.tagName + '|' + (e.name || '') + '|' + (e.id || '') + '|' + (e.value || '') + '|' +
                 (e.getAttribute('href') || '') + '|' + e.textContent.trim().slice(0, 20)};
}"""

# A group of radio buttons is one Tab stop (its checked one, or its first): the arrow keys move within it.
REACHABLE = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => !e.disabled && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
                   && !e.closest('[hidden], .visually-hidden:not(input)'))
    .filter((e) => {
        if (e.type !== 'radio') return true;
        const group = [...document.querySelectorAll('input[type=radio]')].filter((r) => r.name === e.name);
        return e.checked || (!group.some((r) => r.checked) && group[0] === e);
    })
    .map((e) => e.tagName + '|' + (e.name || '') + '|' + (e.id || '') + '|' + (e.value || '') + '|' +
                (e.getAttribute('href') || '') + '|' + e.textContent.trim().slice(0, 20))"""


def tab_through(page, limit=400):
    """Press Tab until the focus comes round again; every element it reached, each with its focus checked."""
    reached, unseen = [], []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if now is None:
            continue
        if reached and now["key"] == reached[0]:
            break
        reached.append(now["key"])
        if not now["seen"]:
            unseen.append(f"{now['tag']} {now['type']} {now['name']}")
    return reached, unseen


def tab_to(page, selector, limit=200):
    """Tab (never click) until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def open_every_fold(page):
    """The folded parts (details) open with Enter on their summary, as a keyboard user opens them."""
    for index in range(page.locator("form details:not([open]) > summary:visible").count()):
        summary = page.locator("form details:not([open]) > summary:visible").first
        summary.focus()
        page.keyboard.press("Enter")
    assert not page.locator("form details:not([open]) > summary:visible").count()


def test_every_control_of_the_door_form_is_reached_by_tab_with_a_visible_focus(browser_page, live_server, db,
                                                                               shelter_a):
    open_shelter(db, shelter_a)
    browser_page.goto(f"{live_server}/door/{REF}")
    open_every_fold(browser_page)
    browser_page.evaluate("document.activeElement.blur()")
    reached, unseen = tab_through(browser_page)
    assert not unseen, f"focus not visible on: {unseen}"
    missing = set(browser_page.evaluate(REACHABLE, TABBABLE)) - set(reached)
    assert not missing, f"never reached with Tab: {sorted(missing)}"


def test_the_door_form_is_filled_and_sent_with_keys_only(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    page = browser_page
    page.goto(f"{live_server}/door/{REF}")
    keys = page.keyboard
    tab_to(page, "input[name=p0_name]")
    keys.type("鍵盤 花子")
    tab_to(page, "select[name=p0_sex]")
    keys.press("ArrowUp")  # 回答しない → 女
    tab_to(page, "input[name=p0_age]")
    keys.type("41")
    tab_to(page, "details:not([open]) > summary")  # 健康・配慮
    keys.press("Enter")
    tab_to(page, "input[name=p0_care][value=MED]")
    keys.press("Space")
    tab_to(page, "#more-people")
    keys.press("Enter")  # two more person blocks; the focus moves into the first of them
    assert page.locator("fieldset.person:visible").count() == 5
    assert page.evaluate("document.activeElement.name") == "p3_name"
    keys.type("鍵盤 次郎")
    tab_to(page, "input[name=phone]")
    keys.type("0467-00-0000")
    tab_to(page, "form.household-form button.primary")
    with page.expect_navigation():
        keys.press("Enter")
    page.wait_for_selector("[data-testid=number]")
    household = households.roster(db, shelter_a["id"], statuses=("pending",), include_hidden=True,
                                  include_sensitive=True)[0]
    assert [p["name"] for p in household["persons"]] == ["鍵盤 花子", "鍵盤 次郎"]
    assert household["persons"][0]["sex"] == "female" and household["persons"][0]["age"] == 41
    assert "MED" in household["persons"][0]["care_codes"]


def test_the_desk_is_signed_in_to_and_checks_in_with_keys_only_and_a_visible_focus(browser_page, live_server, db,
                                                                                  shelter_a):
    from shelter_ops.domain import accounts

    open_shelter(db, shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "鍵盤 三郎"}], actor="door", source="door")
    accounts.add_user(db, "desk1", PASSWORD, "staff", shelter_id=shelter_a["id"])
    page, keys = browser_page, browser_page.keyboard
    page.goto(f"{live_server}/login")
    assert page.evaluate("document.activeElement.name") == "name"  # the form starts where one types
    keys.type("desk1")
    keys.press("Tab")
    keys.type(PASSWORD)
    with page.expect_navigation():
        keys.press("Enter")

    page.goto(f"{live_server}/shelters/{REF}/desk")
    assert page.evaluate("document.activeElement.id") == "scanbox"  # ready for the scanner
    reached, unseen = tab_through(page)
    assert not unseen, f"focus not visible on: {unseen}"
    missing = set(page.evaluate(REACHABLE, TABBABLE)) - set(reached)
    assert not missing, f"never reached with Tab: {sorted(missing)}"
    tab_to(page, "input[name=mode]:checked")  # the IC card modes: one Tab stop, the arrow keys choose
    before = page.evaluate("document.activeElement.value")
    keys.press("ArrowRight")
    assert page.evaluate("document.activeElement.checked && document.activeElement.value") not in (before, False)
    keys.press("ArrowLeft")
    assert page.evaluate("document.querySelector('input[name=mode]:checked').value") == before

    tab_to(page, "input[name=code]")
    keys.type(household["reception_number"])
    keys.press("Enter")
    page.wait_for_selector("#result.result-ok")
    assert households.present_counts(db)[shelter_a["id"]]["total"] == 1
