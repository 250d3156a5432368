"""The daily log (運営日誌) by kind and day, and announcements on the residents' display."""
from datetime import datetime, timedelta, timezone

import pytest

from shelter_ops.domain import clock, daylog

REF_A = "E1420400001111"


def iso(minutes):
    """ISO UTC `minutes` from now."""
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def test_entries_are_kept_by_kind_and_day(db, shelter_a):
    daylog.add_entry(db, shelter_a["id"], kind="status", text="朝の点呼", period="morning", count=120, author="佐藤",
                     day="2026-11-21")
    daylog.add_entry(db, shelter_a["id"], kind="incident", text="体育館で転倒1件、救護済み", author="佐藤", day="2026-11-21")
    daylog.add_entry(db, shelter_a["id"], kind="decision", text="消灯は21時", author="鈴木", day="2026-11-21")
    daylog.add_entry(db, shelter_a["id"], kind="status", text="夕方の点呼", period="evening", count=131, author="鈴木",
                     day="2026-11-21")
    daylog.add_entry(db, shelter_a["id"], kind="handover", text="夜間は2名体制", author="鈴木", day="2026-11-22")
    view = daylog.day_view(db, shelter_a["id"], "2026-11-21")
    assert view["counts"] == {"status": 2, "incident": 1, "decision": 1, "handover": 0, "complaint": 0}
    assert view["headcounts"]["morning"] == 120 and view["headcounts"]["evening"] == 131
    assert [e["text"] for e in daylog.entries(db, shelter_a["id"], "2026-11-22")] == ["夜間は2名体制"]
    assert [e["kind"] for e in daylog.entries(db, shelter_a["id"], "2026-11-21", kind="decision")] == ["decision"]


def test_an_entry_without_a_day_goes_to_todays_page_in_japan_time(db, shelter_a):
    entry = daylog.add_entry(db, shelter_a["id"], kind="complaint", text="夜が寒い", author="佐藤")
    assert entry["day"] == datetime.now(timezone(timedelta(hours=9))).date().isoformat()
    assert clock.today("2026-11-21T15:30:00+00:00") == "2026-11-22"  # 00:30 in Japan


@pytest.mark.parametrize("fields, message", [
    ({"kind": "gossip", "text": "x"}, "Choose a kind"),
    ({"kind": "status", "text": "", "period": "morning"}, "Give both"),
    ({"kind": "incident", "text": "x", "period": "morning", "count": 3}, "Head counts belong"),
    ({"kind": "decision", "text": "  "}, "Enter the text"),
])
def test_entries_that_make_no_sense_are_refused_in_japanese_and_english(db, shelter_a, fields, message):
    from shelter_ops.domain.errors import Invalid

    with pytest.raises(Invalid) as refused:
        daylog.add_entry(db, shelter_a["id"], author="佐藤", **fields)
    assert message in refused.value.en and refused.value.ja


def test_tablet_log_day_page_shows_counts_and_entries(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    assert staff.post(f"/running/{REF_A}/log", {"kind": "status", "text": "", "period": "morning",
                                                "count": "８５", "day": "2026-11-20"}).status_code == 302
    assert staff.post(f"/running/{REF_A}/log", {"kind": "incident", "text": "停電 10分",
                                                "day": "2026-11-20"}).status_code == 302
    page = staff.get(f"/running/{REF_A}/log?day=2026-11-20").get_data(as_text=True)
    assert 'data-testid="morning">85<' in page and "停電 10分" in page
    assert 'data-testid="count-incident">1<' in page
    assert "停電 10分" not in staff.get(f"/running/{REF_A}/log?day=2026-11-19").get_data(as_text=True)


def test_log_of_another_shelter_is_forbidden(db, shelter_a, shelter_b, signed_in, api):
    assert signed_in("staff", shelter_b).get(f"/running/{REF_A}/log").status_code == 403
    assert api("staff", shelter_b).get(f"/api/v1/shelters/{REF_A}/log").status_code == 403


def test_log_over_the_api(db, shelter_a, api):
    staff = api("staff", shelter_a)
    response = staff.post(f"/api/v1/shelters/{REF_A}/log", json={"kind": "decision", "text": "配食は12時",
                                                                 "day": "2026-11-20"})
    assert response.status_code == 201
    view = staff.get(f"/api/v1/shelters/{REF_A}/log?day=2026-11-20").get_json()
    assert view["counts"]["decision"] == 1 and view["by_kind"]["decision"][0]["text"] == "配食は12時"


def announce(db, shelter, ja, en="", starts=-5, ends=None):
    return daylog.add_announcement(db, shelter["id"], ja=ja, en=en, starts_at=iso(starts),
                                   ends_at=iso(ends) if ends is not None else None, actor="佐藤")


def test_display_shows_announcements_in_the_chosen_language(app, db, shelter_a):
    announce(db, shelter_a, "夕食は18時から配ります", "Dinner is handed out from 18:00")
    client = app.test_client()
    both = client.get(f"/residents/{REF_A}/display").get_data(as_text=True)
    assert "夕食は18時から配ります" in both and "Dinner is handed out from 18:00" in both
    english = client.get(f"/residents/{REF_A}/display?show=en").get_data(as_text=True)
    assert "Dinner is handed out" in english and "夕食は" not in english
    japanese = client.get(f"/residents/{REF_A}/display?show=ja").get_data(as_text=True)
    assert "夕食は18時" in japanese and "Dinner" not in japanese
    # refreshed in place by a script, and by itself where scripts do not run
    assert '<noscript><meta http-equiv="refresh"' in both and "js/refresh.js" in both


def test_announcements_are_not_shown_after_their_end_nor_before_their_start(app, db, shelter_a):
    announce(db, shelter_a, "給水車は終了しました", starts=-120, ends=-1)
    announce(db, shelter_a, "明日の朝は説明会", starts=60)
    announce(db, shelter_a, "入浴支援は15時まで", starts=-10, ends=60)
    shown = [a["ja"] for a in daylog.current_announcements(db, shelter_a["id"])]
    assert shown == ["入浴支援は15時まで"]
    page = app.test_client().get(f"/residents/{REF_A}/display").get_data(as_text=True)
    assert "入浴支援は15時まで" in page and "給水車" not in page and "説明会" not in page


def test_a_withdrawn_announcement_leaves_the_display(app, db, shelter_a, signed_in):
    item = announce(db, shelter_a, "トイレ清掃中")
    staff = signed_in("staff", shelter_a)
    assert staff.post(f"/running/{REF_A}/announcements/{item['id']}/withdraw").status_code == 302
    assert "トイレ清掃中" not in app.test_client().get(f"/residents/{REF_A}/display").get_data(as_text=True)


def test_staff_publish_from_the_editor_in_japan_time(app, db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    jst = timezone(timedelta(hours=9))
    until = (datetime.now(jst) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = staff.post(f"/running/{REF_A}/announcements", {"ja": "18時に配食", "en": "Food at 18:00",
                                                              "ends_at": until})
    assert response.status_code == 302
    item = daylog.current_announcements(db, shelter_a["id"])[0]
    assert clock.utc_to_local(item["ends_at"]) == until.replace("T", " ")
    assert "18時に配食" in staff.get(f"/running/{REF_A}/announcements").get_data(as_text=True)


def test_display_carries_no_personal_data_and_hidden_shelters_are_not_found(app, db, shelter_a):
    announce(db, shelter_a, "お知らせ本文")
    page = app.test_client().get(f"/residents/{REF_A}/display").get_data(as_text=True)
    assert "佐藤" not in page  # the author of the announcement
    db.execute("update shelters set hidden = 1 where id = ?", [shelter_a["id"]])
    db.conn.commit()
    assert app.test_client().get(f"/residents/{REF_A}/display").status_code == 404
    assert app.test_client().get("/residents/E0000000000000/display").status_code == 404


def test_current_announcements_for_the_door_page(db, shelter_a):
    announce(db, shelter_a, "受付は体育館入口", "Reception at the gym entrance")
    items = daylog.current_announcements(db, shelter_a["id"])
    assert items[0]["ja"] == "受付は体育館入口" and items[0]["en"] == "Reception at the gym entrance"
    assert set(items[0]) == {"id", "ja", "en", "notice", "values", "starts_at", "ends_at"}


def test_an_announcement_must_end_after_it_starts(db, shelter_a, api):
    response = api("staff", shelter_a).post(f"/api/v1/shelters/{REF_A}/announcements",
                                            json={"ja": "x", "starts_at": iso(10), "ends_at": iso(5)})
    assert response.status_code == 400 and "after the start" in response.get_json()["error"]["message_en"]


def test_the_door_page_partial_shows_announcements_and_the_request_link(app, db, shelter_a):
    from flask import render_template_string

    announce(db, shelter_a, "受付は体育館入口", "Reception at the gym entrance")
    with app.test_request_context("/door/E1420400001111", headers={"Accept-Language": "en"}):
        html = render_template_string('{% include "running/_announcements.html" %}', shelter=shelter_a)
    assert html.index("Reception at the gym entrance") < html.index("受付は体育館入口")
    assert f"/residents/{REF_A}/requests" in html


def test_day_view_counts_arrivals_departures_and_residents_requests(db, shelter_a):
    from shelter_ops.domain import households, resident_requests

    db.execute("update shelters set state = 'open' where id = ?", [shelter_a["id"]])
    db.conn.commit()
    family = households.register(db, shelter_a["id"], {}, [{"name": "鎌倉 花子"}, {"name": "鎌倉 太郎"},
                                                           {"name": "鎌倉 次郎"}],
                                 actor="受付", source="desk", status="checked_in")
    households.check_out(db, shelter_a["id"], family["id"], actor="受付",
                         person_ids=[family["persons"][0]["id"]])
    item = resident_requests.submit(db, shelter_a["id"], category="food", text="温かい食事を", anonymous=True)
    resident_requests.submit(db, shelter_a["id"], category="other", text="Wi-Fi", anonymous=True)
    resident_requests.mark_handled(db, shelter_a["id"], item["id"], actor="佐藤")
    view = daylog.day_view(db, shelter_a["id"], clock.today())
    assert view["movements"]["arrived"] == 3 and view["movements"]["left"] == 1
    assert view["headcounts"]["now"] == 2
    assert view["resident_requests"] == {"received": 2, "handled": 1}
    yesterday = (datetime.fromisoformat(clock.today()) - timedelta(days=1)).date().isoformat()
    assert daylog.day_view(db, shelter_a["id"], yesterday)["movements"]["arrived"] == 0


def test_optional_fields_may_be_sent_as_null_over_the_api(db, shelter_a, api):
    staff = api("staff", shelter_a)
    response = staff.post(f"/api/v1/shelters/{REF_A}/log", json={"kind": "decision", "text": "消灯21時",
                                                                 "period": None, "count": None, "day": None})
    assert response.status_code == 201, response.get_json()
    response = staff.post(f"/api/v1/shelters/{REF_A}/announcements", json={"ja": "配食12時", "en": None,
                                                                           "ends_at": None})
    assert response.status_code == 201, response.get_json()
    wrong = staff.post(f"/api/v1/shelters/{REF_A}/log", json={"kind": "status", "count": "many"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["message_ja"]


def test_the_door_page_shows_the_announcements_to_arriving_families(app, db, shelter_a):
    db.execute("update shelters set state = 'open' where id = ?", [shelter_a["id"]])
    db.conn.commit()
    announce(db, shelter_a, "受付は体育館入口です", "Reception is at the gym entrance")
    page = app.test_client().get(f"/door/{REF_A}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Reception is at the gym entrance" in page and "受付は体育館入口です" in page
