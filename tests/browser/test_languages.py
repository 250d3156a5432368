"""The door registration in every evacuee language, in one headless Chromium: the visitor picks the
language on the switch, the page's words come from that language's catalog (no Japanese left where a
translation exists; やさしい日本語 with furigana on every kanji), the household registers, and the
desk checks each household so registered in.

Screenshots of the door page go to docs/screenshots/ when SHELTER_OPS_SCREENSHOTS=1.
"""
import os
import re
from pathlib import Path

import pytest

from shelter_ops import languages
from shelter_ops.domain import households
from shelter_ops.languages import LANGUAGES

from checkin_helpers import open_shelter
from test_checkin_browser import sign_in, wedge

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
REF = "E1420400001111"
SHELTER = "第一小学校"
KANA = re.compile(r"[\u3040-\u30ff]")
KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
# What a Japanese page has and a translated one must not: kana always; kanji too where the script
# has none (Chinese writes Han, so there kana alone tells Japanese apart).
JAPANESE = {"zh-Hans": KANA}
FORM_WORDS = ["Write your household once. Then show the code at the desk.", "Your household", "Home address",
              "Where will you stay?", "Health and care needs", "Send", "More people"]
DONE_WORDS = ["Show this code at the desk. You are not checked in yet.", "Reception number", "Save the code"]
SCREENSHOTS = ("vi", "ne", "my", "ja-easy")  # Latin with diacritics, Devanagari, Burmese, kana with ruby


def words(code, msgids):
    return [" ".join(languages.text(code, msgid).split()) for msgid in msgids]


def main_text(page):
    """Every word in <main> (hidden spare person blocks too), furigana readings left out."""
    return " ".join(page.evaluate("""() => {
        const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('rt, rp, script, style').forEach((e) => e.remove());
        return main.textContent;
    }""").split())


def bare_kanji(page):
    """Kanji on the page outside <ruby> (and outside the shelter's own name, which is data)."""
    return page.evaluate("""(name) => {
        const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
        const found = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.parentElement.closest('ruby, script, style, [hidden]')) continue;
            const text = node.textContent.split(name).join('');
            if (/[\\u4e00-\\u9fff]/.test(text)) found.push(text.trim());
        }
        return found;
    }""", SHELTER)


@pytest.fixture
def door_limit_forgotten():
    """The door's rate limit lives in the process: forget this test's registrations afterwards."""
    from shelter_ops.security import limiter

    yield
    limiter.reset()


def test_the_door_registration_in_every_language_then_the_desk_checks_each_in(browser_page, live_server, app, db,
                                                                              shelter_a, door_limit_forgotten):
    page = browser_page
    app.config["DOOR_REGISTRATIONS_PER_10_MIN"] = 2 * len(LANGUAGES)  # one phone registers them all here
    open_shelter(db, shelter_a)
    registered = {}
    for language in LANGUAGES:
        code = language.code
        page.context.clear_cookies()
        page.goto(f"{live_server}/door/{REF}")
        assert page.get_attribute("html", "lang") == "ja"  # a ja-JP browser starts in Japanese
        page.click(f'.language-switch a[data-lang="{code}"]')
        page.wait_for_selector(f'.language-switch a[data-lang="{code}"][aria-current]')
        assert page.get_attribute("html", "lang") == language.html
        main = main_text(page)
        for expected in words(code, FORM_WORDS) + [" ".join(languages.text(code, "Register at %(name)s", {"name": SHELTER}).split())]:
            assert expected in main, f"{code}: {expected!r} is not on the door page"
        if code == "ja-easy":
            assert not bare_kanji(page), f"kanji without furigana: {bare_kanji(page)}"
        elif code not in ("ja",):
            left = JAPANESE.get(code, re.compile(KANA.pattern + "|" + KANJI.pattern)).findall(main.replace(SHELTER, ""))
            assert not left, f"{code}: Japanese left on the door page: {''.join(left)}"
        if code in SCREENSHOTS and os.environ.get("SHELTER_OPS_SCREENSHOTS") == "1":
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(ROOT / "docs" / "screenshots" / f"door-{code}.png"))
            page.set_viewport_size({"width": 1180, "height": 820})

        name = f"Test {code}"
        page.fill("input[name=p0_name]", name)
        page.fill("input[name=p0_age]", "34")
        page.select_option("select[name=p0_sex]", "female")
        page.fill("input[name=phone]", "090-0000-0000")
        page.click("form.household-form button.primary")
        page.wait_for_selector("[data-testid=number]")
        done = main_text(page)
        for expected in words(code, DONE_WORDS):
            assert expected in done, f"{code}: {expected!r} is not on the number page"
        registered[code] = (name, re.sub(r"[^0-9A-Z]", "", page.inner_text("[data-testid=number]")))

    assert len({number for _name, number in registered.values()}) == len(LANGUAGES)
    page.context.clear_cookies()
    sign_in(page, live_server, db, shelter_a)
    page.goto(f"{live_server}/shelters/{REF}/desk")
    for code, (name, number) in registered.items():
        page.click("#scanbox")
        wedge(page, number, "ちこそしいはきく")
        page.wait_for_function("(name) => document.querySelector('#result.result-ok')?.innerText.includes(name)", arg=name)
    present = households.present_counts(db)[shelter_a["id"]]["total"]
    assert present == len(LANGUAGES), f"{present} of {len(LANGUAGES)} households checked in"
