"""The door's registration form as a screen reader meets it, in headless Chromium: every field has a name (its
label), and a refused form announces an error summary (role=alert) that takes the focus and links to the field,
which says it is invalid (aria-invalid) and why (aria-describedby), in the reader's language."""
import re

import pytest
from playwright.sync_api import expect

from shelter_ops import languages

from checkin_helpers import open_shelter

pytestmark = pytest.mark.browser

REF = "E1420400001111"
CONTROL = re.compile(r"^\s*- (textbox|combobox|checkbox|radio|spinbutton|button|link)\b(?: \"(.*?)\")?")


def unnamed_controls(page):
    """Controls of the form that a screen reader would announce without a name (from the accessibility tree)."""
    snapshot = page.locator("form.household-form").aria_snapshot()
    return [line.strip() for line in snapshot.splitlines()
            if CONTROL.match(line) and not (CONTROL.match(line).group(2) or "").strip()]


def test_every_field_of_the_door_form_has_a_name(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    browser_page.goto(f"{live_server}/door/{REF}")
    browser_page.evaluate("document.querySelectorAll('form details').forEach((d) => d.open = true)")
    assert browser_page.locator("form.household-form input:visible").count() > 20
    assert not unnamed_controls(browser_page)
    expect(browser_page.get_by_role("textbox", name="年齢").first).to_be_visible()


@pytest.mark.parametrize("code", ["ja", "vi"])
def test_a_refused_form_announces_the_error_takes_the_focus_and_ties_it_to_its_field(browser_page, live_server, db,
                                                                                     shelter_a, code):
    open_shelter(db, shelter_a)
    page = browser_page
    page.goto(f"{live_server}/door/{REF}?lang={code}")
    page.fill("input[name=p0_name]", "鎌倉 花子")
    page.fill("input[name=p1_name]", "鎌倉 太郎")
    page.fill("input[name=p1_age]", "300")
    with page.expect_navigation():
        page.click("form.household-form button.primary")

    message = languages.text(code, "The age is not plausible: %(age)s", {"age": "300"})
    summary = page.locator("[data-error-summary]")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(languages.plain(languages.text(code, "Not sent yet. Please check:")))
    expect(summary.get_by_role("link", name=message)).to_have_attribute("href", "#p1_age")

    age = page.locator("#p1_age")
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(age).to_have_accessible_description(message)
    expect(age).to_have_accessible_name(languages.plain(languages.text(code, "Age")))
    assert page.locator("[aria-invalid=true]").count() == 1  # only the field at fault

    summary.get_by_role("link").focus()
    page.keyboard.press("Enter")
    expect(age).to_be_focused()  # the link takes the reader to the field
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    with page.expect_navigation():
        page.locator("form.household-form button.primary").press("Enter")
    page.wait_for_selector("[data-testid=number]")


def test_a_form_sent_empty_ties_the_refusal_to_the_first_name(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    page = browser_page
    page.goto(f"{live_server}/door/{REF}")
    with page.expect_navigation():
        page.click("form.household-form button.primary")
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("#p0_name")).to_have_accessible_description(languages.text("ja", "Enter at least one person."))
