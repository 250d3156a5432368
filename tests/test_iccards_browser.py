"""IC cards at the desk in a real browser (headless Chromium): a card linked right after registration, then
tapped on a keyboard-wedge reader under the Japanese IME — out, a double tap counted once, in again, a
meal that the supplies screen counts — and an unknown card linked from the desk."""
import re

import pytest

from shelter_ops.domain import households, iccards

from checkin_helpers import open_shelter
from test_checkin_browser import sign_in, wedge

pytestmark = pytest.mark.browser

REF = "E1420400001111"
SUICA = "012E4C819A3B5D07"


def test_link_at_registration_tap_out_and_in_and_a_meal_counted(browser_page, live_server, app, db, shelter_a):
    open_shelter(db, shelter_a)
    app.config["CARD_REPEAT_SECONDS"] = 2
    page = browser_page
    sign_in(page, live_server, db, shelter_a)
    page.goto(f"{live_server}/shelters/{REF}/desk/register")
    page.fill("input[name=p0_name]", "山田 花子")
    page.fill("input[name=p1_name]", "山田 太郎")
    page.click("button.primary.big.wide")
    page.wait_for_selector("#cards")
    assert page.locator("[data-testid=card-none]").count() == 2

    # link: the reader types the card's id into the first person's field, the IME garbling every key
    page.click(".card-person:first-child input[name=card]")
    wedge(page, SUICA, "ぬふあうえおやゆよわほへたていすかんなにら")
    page.wait_for_selector("[data-testid=card-done]")
    assert "カードを登録しました" in page.inner_text("[data-testid=card-done]")
    assert page.locator("[data-testid=card-linked]").count() == 1
    household = households.roster(db, shelter_a["id"])[0]
    hanako = next(p for p in household["persons"] if p["name"] == "山田 花子")
    assert iccards.link_of(db, hanako["id"]) is not None

    page.goto(f"{live_server}/shelters/{REF}/desk")
    page.click("#scanbox")
    wedge(page, SUICA, "ちこそしいはきくまの")
    page.wait_for_selector("#result.result-ok")
    assert "山田 花子さん 退所しました" in page.inner_text("#result")
    assert page.inner_text("#present") == "1"

    wedge(page, SUICA, "ちこそ")  # the card still on the reader: counted once
    page.wait_for_selector("#result.result-already")
    assert "記録済み" in page.inner_text("#result")

    page.wait_for_timeout(2200)
    wedge(page, SUICA, "なにら")
    page.wait_for_selector("#result.result-ok")
    assert "山田 花子さん 入所しました" in page.inner_text("#result")
    assert page.inner_text("#present") == "2"

    page.click("label.card-mode:has([data-testid=mode-meal])")
    wedge(page, SUICA, "まの")  # the scan box has the focus again after choosing the mode
    page.wait_for_selector("#result.result-ok >> text=食事を受け取りました")
    assert "今日1回目" in page.inner_text("#result")
    page.reload()  # the tablet keeps its mode
    assert page.is_checked("[data-testid=mode-meal]")

    page.goto(f"{live_server}/supplies/{REF}")
    assert page.inner_text("[data-testid=pickup-meal]") == "1"
    assert page.inner_text("[data-testid=pickup-meal-persons]") == "1"
    assert iccards.person_pickups(db, hanako["id"])["meal"] == 1


def test_an_unknown_card_is_linked_from_the_desk(browser_page, live_server, app, db, shelter_a):
    open_shelter(db, shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "腰越 一"}], actor="desk", source="desk",
                                    status="checked_in")
    page = browser_page
    sign_in(page, live_server, db, shelter_a)
    page.goto(f"{live_server}/shelters/{REF}/desk")
    page.click("#scanbox")
    wedge(page, "8F3A91C2", "ちこ")
    page.wait_for_selector("#result.result-unknown form.card-offer")
    assert "登録されていません" in page.inner_text("#result")
    page.click("#result form.card-offer input[name=number]")
    wedge(page, household["reception_number"], "たていすかんな")
    page.wait_for_selector("[data-testid=link-pending]")
    page.click("[data-testid=link-pending]")
    page.wait_for_selector("[data-testid=card-done]")
    assert re.search("カードを登録しました", page.inner_text("[data-testid=card-done]"))
    page.goto(f"{live_server}/shelters/{REF}/desk")
    page.click("#scanbox")
    wedge(page, "8F3A91C2", "ちこ")
    page.wait_for_selector("#result.result-ok")
    assert "腰越 一さん 退所しました" in page.inner_text("#result")
