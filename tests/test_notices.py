"""Ready-made notices: staff pick one, fill its blanks, publish; each resident reads it in their language."""
import re

import pytest

from shelter_ops.domain import daylog, notices
from shelter_ops.languages import LANGUAGES

from checkin_helpers import open_shelter

REF = "E1420400001111"
CODES = {language.code for language in LANGUAGES}
KANJI = re.compile(r"[\u4e00-\u9fff]")


def test_the_library_has_forty_notices_each_in_every_language_with_the_same_blanks():
    library = notices.library()
    assert len(library) >= 40
    for key, notice in library.items():
        assert set(notice["text"]) == CODES, f"{key} lacks {CODES - set(notice['text'])}"
        for code, text in notice["text"].items():
            assert set(notices.BLANK.findall(text)) == set(notice["blanks"]), (key, code)
        assert isinstance(notice["reviewed"], dict), f"{key}: say who reviewed which language (empty: nobody yet)"
        assert set(notice["reviewed"]) <= CODES


def test_the_library_covers_what_a_shelter_announces():
    for key in ("meal_times", "drinking_water", "toilet_location", "portable_toilet_howto", "lights_out",
                "shoes_off", "quiet_hours", "bath_schedule", "medical_help", "lost_property", "supply_pickup",
                "typhoon_stay_inside"):
        assert key in notices.library(), key


def test_easy_japanese_notices_have_furigana_on_every_kanji():
    for key, notice in notices.library().items():
        text = re.sub(r"<ruby>.*?</ruby>", "", notice["text"]["ja-easy"])
        assert not KANJI.search(text), f"{key}: kanji without furigana in {text}"


def test_a_notice_needs_every_blank_filled():
    with pytest.raises(Exception) as refused:
        notices.check_values("water_truck", {"place": "正門"})
    assert "時刻" in refused.value.ja and "Time" in refused.value.en


def publish(session, key, values):
    page = session.get(f"/running/{REF}/announcements?notice={key}")
    assert page.status_code == 200 and 'data-testid="notice-form"' in page.get_data(as_text=True)
    return session.post(f"/running/{REF}/announcements", page=page,
                        data={"notice": key, **{f"blank_{k}": v for k, v in values.items()}})


def test_staff_pick_a_notice_fill_it_and_residents_read_it_in_their_language(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    response = publish(staff, "water_truck", {"place": "正門", "time": "14:00"})
    assert response.status_code == 302
    item = daylog.current_announcements(db, shelter_a["id"])[0]
    assert item["notice"] == "water_truck" and item["values"] == {"place": "正門", "time": "14:00"}
    assert item["ja"] == "給水車が14:00に正門に来ます。水を入れる容器を持ってきてください。"  # staff screens, feeds
    assert item["en"].startswith("A water truck comes to 正門 at 14:00")

    resident = app.test_client()
    vi = resident.get(f"/residents/{REF}/display?lang=vi").get_data(as_text=True)
    assert "Xe chở nước sẽ đến 正門 lúc 14:00." in vi and "給水車が14:00" in vi  # theirs, and Japanese beside it
    resident.get("/lang/ne")
    door = resident.get(f"/door/{REF}").get_data(as_text=True)
    assert "पानीको ट्याङ्कर 14:00 मा 正門 मा आउँछ।" in door and "給水車" not in door
    easy = app.test_client().get(f"/door/{REF}?lang=ja-easy").get_data(as_text=True)
    assert "<ruby>水<rp>(</rp><rt>みず</rt>" in easy and "14:00に 正門に" in easy


def test_the_hall_screen_shows_a_notice_in_every_language_at_once(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    publish(signed_in("staff", shelter_a), "lights_out", {"time": "21:00", "morning": "6:00"})
    page = app.test_client().get(f"/residents/{REF}/display?show=all").get_data(as_text=True)
    for code in CODES:
        assert notices.render("lights_out", {"time": "21:00", "morning": "6:00"}, code) in page, code


def test_what_staff_type_in_a_blank_is_shown_as_text_never_as_markup(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    publish(signed_in("staff", shelter_a), "toilet_location", {"place": "<script>alert(1)</script>"})
    page = app.test_client().get(f"/door/{REF}?lang=ko").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;에 있습니다" in page and "<script>alert" not in page


def test_a_notice_with_an_empty_blank_is_refused_in_ja_and_en(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    response = publish(signed_in("staff", shelter_a), "water_truck", {"place": "正門", "time": " "})
    assert response.status_code == 400 and "「時刻」を入力してください" in response.get_data(as_text=True)
    assert daylog.current_announcements(db, shelter_a["id"]) == []


def test_free_text_shows_as_written_and_says_in_which_language(app, db, shelter_a):
    open_shelter(db, shelter_a)
    daylog.add_announcement(db, shelter_a["id"], ja="体育館の暖房を20時に止めます", actor="佐藤")
    vi = app.test_client().get(f"/door/{REF}?lang=vi").get_data(as_text=True)
    assert "体育館の暖房を20時に止めます" in vi and "(Viết bằng tiếng Nhật)" in vi
    ja = app.test_client().get(f"/door/{REF}").get_data(as_text=True)
    assert "体育館の暖房を20時に止めます" in ja and "日本語で書かれています" not in ja
