"""The shelter lifecycle and its guardrails, over the tablet screens and over the API."""
import pytest

from shelter_ops.domain import shelters

from conftest import insert_shelter


def state_of(db, shelter):
    return shelters.get(db, shelter["id"])["state"]


def test_staff_open_a_shelter_through_opening(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    page = staff.get("/shelters/E1420400001111")
    assert "未開設" in page.get_data(as_text=True)
    assert staff.post("/shelters/E1420400001111/transition", {"to": "opening"}).status_code == 302
    assert staff.post("/shelters/E1420400001111/transition", {"to": "open"}).status_code == 302
    assert state_of(db, shelter_a) == "open"
    page = staff.get("/shelters/E1420400001111?done=state").get_data(as_text=True)
    assert "状態が「開設」になりました" in page


def test_staff_cannot_jump_from_standby_to_open(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    response = staff.post("/shelters/E1420400001111/transition", {"to": "open"})
    assert response.status_code == 409
    assert "まず開設準備を始めてください" in response.get_data(as_text=True)
    assert state_of(db, shelter_a) == "standby"


def test_unusable_after_safety_check_cannot_open(db, shelter_a, signed_in, api):
    lead = signed_in("lead", shelter_a)
    lead.post("/shelters/E1420400001111/transition", {"to": "opening"})
    lead.post("/shelters/E1420400001111/checklist/safety_check", {"result": "unusable"})
    response = lead.post("/shelters/E1420400001111/transition", {"to": "open"})
    assert response.status_code == 409
    assert "使用不可" in response.get_data(as_text=True)
    response = api("hq").post("/api/v1/shelters/E1420400001111/transitions", json={"to": "open"},
                              headers={"Accept-Language": "en"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert "unusable" in error["message_en"] and "使用不可" in error["message_ja"]
    assert state_of(db, shelter_a) == "opening"


def test_no_transition_outside_the_lifecycle(db, shelter_a, api):
    response = api("hq").post("/api/v1/shelters/E1420400001111/transitions", json={"to": "closed"})
    assert response.status_code == 409
    assert response.get_json()["error"]["message_en"] == "A shelter cannot go from Standby to Closed."


def test_closing_needs_confirmation(db, api):
    shelter = insert_shelter(db, state="closing")
    hq = api("hq")
    response = hq.post("/api/v1/shelters/E1420400001111/transitions", json={"to": "closed"})
    assert response.status_code == 409 and "confirmation" in response.get_json()["error"]["message_en"]
    response = hq.post("/api/v1/shelters/E1420400001111/transitions", json={"to": "closed", "confirm": True})
    assert response.status_code == 200 and response.get_json()["state"] == "closed"
    assert shelters.get(db, shelter["id"])["closed_at"]


def test_closed_shelter_reopens_only_by_hq_with_a_logged_reason(db, signed_in, api):
    shelter = insert_shelter(db, state="closed")
    lead = signed_in("lead", shelter)
    response = lead.post("/shelters/E1420400001111/transition", {"to": "opening", "reason": "余震"})
    assert response.status_code == 409 and "本部の決定" in response.get_data(as_text=True)
    hq = api("hq")
    assert hq.post("/api/v1/shelters/E1420400001111/transitions", json={"to": "open"}).status_code == 409
    response = hq.post("/api/v1/shelters/E1420400001111/transitions", json={"to": "open", "reason": "余震で再開設"})
    assert response.status_code == 200
    from shelter_ops.db import events

    logged = events(db, shelter_id=shelter["id"], kind="shelter.transition")[0]
    assert logged["payload"] == {"from": "closed", "to": "open", "reason": "余震で再開設"}
    assert logged["actor"].startswith("api-hq")


def test_every_transition_is_an_event_with_who(db, shelter_a, signed_in):
    from shelter_ops.db import events

    staff = signed_in("staff", shelter_a)
    staff.post("/shelters/E1420400001111/transition", {"to": "opening"})
    staff.post("/shelters/E1420400001111/transition", {"to": "standby"})
    kinds = [(e["payload"]["to"], e["actor"]) for e in events(db, shelter_id=shelter_a["id"], kind="shelter.transition")]
    assert kinds == [("standby", "staff1"), ("opening", "staff1")]


def test_repeating_a_transition_changes_nothing(db, shelter_a, api):
    hq = api("hq")
    for _ in range(2):
        assert hq.post("/api/v1/shelters/E1420400001111/transitions", json={"to": "opening"}).status_code == 200
    from shelter_ops.db import events

    assert len(events(db, shelter_id=shelter_a["id"], kind="shelter.transition")) == 1


def test_hq_opens_many_shelters_at_once(db, signed_in):
    ids = [insert_shelter(db, f"E14204000{n:02d}111", f"学校{n}")["id"] for n in range(10, 20)]
    blocked = insert_shelter(db, "E1420400030111", "使用不可の学校", safety="unusable")
    hq = signed_in("hq")
    response = hq.post("/hq/open", {"shelter": ids + [blocked["id"]], "reason": "震度5強"})
    assert response.status_code == 200
    assert all(shelters.get(db, i)["state"] == "open" for i in ids)
    assert shelters.get(db, blocked["id"])["state"] == "standby"
    assert "使用不可の学校" in response.get_data(as_text=True)


def test_checklist_records_who_and_when(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    staff.post("/shelters/E1420400001111/checklist/unlock")
    marks = {c["key"]: c["mark"] for c in shelters.checklist(db, shelter_a["id"], shelters.checklist_items(
        "data/checklist.json"))}
    assert marks["unlock"]["done_by"] == "staff1" and marks["unlock"]["done_at"]
    assert marks["reception"] is None


def test_safety_check_needs_a_result(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    response = staff.post("/shelters/E1420400001111/checklist/safety_check")
    assert response.status_code == 400
    assert "結果を選んでください" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/shelters/E1420400002111", "/api/v1/shelters/E1420400002111"])
def test_staff_of_one_shelter_gets_403_on_another(db, shelter_a, shelter_b, signed_in, api, path):
    client = api("staff", shelter_a) if path.startswith("/api") else signed_in("staff", shelter_a)
    assert client.get(path).status_code == 403


def test_staff_cannot_change_another_shelters_state(db, shelter_a, shelter_b, signed_in):
    staff = signed_in("staff", shelter_a)
    assert staff.post("/shelters/E1420400002111/transition", {"to": "opening"}).status_code == 403
    assert state_of(db, shelter_b) == "standby"


def test_staff_sees_only_their_shelter_in_the_api(shelter_a, shelter_b, api):
    listed = api("staff", shelter_a).get("/api/v1/shelters").get_json()["shelters"]
    assert [s["kyotsu_id"] for s in listed] == ["E1420400001111"]
    assert len(api("hq").get("/api/v1/shelters").get_json()["shelters"]) == 2


def test_hq_screens_refuse_staff(shelter_a, signed_in):
    assert signed_in("staff", shelter_a).get("/hq/").status_code == 403


def test_a_form_without_csrf_token_is_refused(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    response = staff.client.post("/shelters/E1420400001111/transition", data={"to": "opening"})
    assert response.status_code == 400
    assert "フォームの有効期限" in response.get_data(as_text=True)
    assert state_of(db, shelter_a) == "standby"


def test_api_without_a_token_is_refused(app, shelter_a):
    response = app.test_client().get("/api/v1/shelters")
    assert response.status_code == 401
    assert response.get_json()["error"]["message_en"].startswith("An API token is needed")


def test_zones_can_be_added_and_edited_on_the_tablet(db, shelter_a, signed_in):
    staff = signed_in("lead", shelter_a)
    staff.post("/shelters/E1420400001111/zones", {"name": "図書室", "kind": "care", "usable_m2": "70", "blocked_places": "2"})
    zone = [z for z in shelters.zones(db, shelter_a["id"]) if z["name"] == "図書室"][0]
    assert (zone["kind"], zone["usable_m2"], zone["blocked_places"]) == ("care", 70.0, 2)
    staff.post(f"/shelters/E1420400001111/zones/{zone['id']}", {"name": "図書室", "kind": "care", "usable_m2": "56"})
    assert [z for z in shelters.zones(db, shelter_a["id"]) if z["id"] == zone["id"]][0]["usable_m2"] == 56.0
    response = staff.post("/shelters/E1420400001111/zones", {"name": "廊下", "usable_m2": "-3"})
    assert response.status_code == 400 and "0以上" in response.get_data(as_text=True)


@pytest.mark.parametrize("body", [{"name": ["体育館"]}, {"name": "体育館", "usable_m2": "lots"}, ["体育館"]])
def test_a_wrongly_typed_api_body_is_refused_with_the_field_named(shelter_a, api, body):
    response = api("hq").post("/api/v1/shelters/E1420400001111/zones", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "入力の形式が正しくありません" in error["message_ja"] and "expected form" in error["message_en"]


def test_checklist_times_are_shown_in_japan_time(db, shelter_a, signed_in):
    from shelter_ops.domain import clock

    staff = signed_in("staff", shelter_a)
    staff.post("/shelters/E1420400001111/checklist/unlock")
    done_at = shelters.checklist(db, shelter_a["id"], shelters.checklist_items("data/checklist.json"))[1]["mark"]["done_at"]
    page = staff.get("/shelters/E1420400001111").get_data(as_text=True)
    assert clock.utc_to_local(done_at) in page


def test_japan_time_has_no_daylight_saving_and_crosses_midnight():
    from shelter_ops.domain import clock

    assert clock.utc_to_local("2026-07-01T15:30:00+00:00") == "2026-07-02 00:30"
    assert clock.utc_to_local("2026-01-01T15:30:00") == "2026-01-02 00:30"  # a stamp without zone is UTC


def test_staff_cannot_add_or_change_zones_only_a_lead_or_hq(db, shelter_a, signed_in, api):
    staff = signed_in("staff", shelter_a)
    page = staff.get("/shelters/E1420400001111").get_data(as_text=True)
    assert "区画の編集は責任者か本部が行います" in page and "staff.add_zone" not in page
    response = staff.post("/shelters/E1420400001111/zones", {"name": "図書室", "usable_m2": "70"})
    assert response.status_code == 403 and "区画の編集は責任者か本部" in response.get_data(as_text=True)
    zone = shelters.zones(db, shelter_a["id"])[0]
    assert staff.post(f"/shelters/E1420400001111/zones/{zone['id']}",
                      {"name": "体育館", "usable_m2": "3000"}).status_code == 403
    response = api("staff", shelter_a).post("/api/v1/shelters/E1420400001111/zones", json={"name": "廊下"})
    assert response.status_code == 403 and "Only a lead or HQ" in response.get_json()["error"]["message_en"]
    assert [z["name"] for z in shelters.zones(db, shelter_a["id"])] == ["体育館"]
    assert shelters.zones(db, shelter_a["id"])[0]["usable_m2"] == 350.0


@pytest.mark.parametrize("m2", ["100000", "5001", "inf", "nan"])
def test_a_zone_larger_than_any_real_floor_is_refused_in_both_languages(db, shelter_a, api, m2):
    response = api("lead", shelter_a).post("/api/v1/shelters/E1420400001111/zones",
                                           json={"name": "体育館", "usable_m2": float(m2)})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "5,000 m²" in error["message_ja"] and "at most 5,000 m²" in error["message_en"]
    assert len(shelters.zones(db, shelter_a["id"])) == 1


def test_a_big_arena_floor_is_still_a_zone(db, shelter_a, api):
    response = api("lead", shelter_a).post("/api/v1/shelters/E1420400001111/zones",
                                           json={"name": "メインアリーナ", "usable_m2": 4000})
    assert response.status_code == 201 and response.get_json()["usable_m2"] == 4000.0


def test_a_retried_zone_request_adds_the_zone_once(db, shelter_a, api):
    lead = api("lead", shelter_a)
    headers = {"Idempotency-Key": "tap-1"}
    first = lead.post("/api/v1/shelters/E1420400001111/zones", json={"name": "図書室", "usable_m2": 70}, headers=headers)
    again = lead.post("/api/v1/shelters/E1420400001111/zones", json={"name": "図書室", "usable_m2": 70}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json()["id"] == again.get_json()["id"]
    assert [z["name"] for z in shelters.zones(db, shelter_a["id"])] == ["体育館", "図書室"]


def test_staff_cannot_move_a_shelter_to_closing(db, signed_in, api):
    shelter = insert_shelter(db, state="open")
    staff = signed_in("staff", shelter)
    page = staff.get("/shelters/E1420400001111").get_data(as_text=True)
    assert "閉鎖は本部が決定し" in page
    response = staff.post("/shelters/E1420400001111/transition", {"to": "closing", "confirm": "yes"})
    assert response.status_code == 403 and "本部の決定" in response.get_data(as_text=True)
    response = api("staff", shelter).post("/api/v1/shelters/E1420400001111/transitions",
                                          json={"to": "closing", "confirm": True})
    assert response.status_code == 403 and "HQ's decision" in response.get_json()["error"]["message_en"]
    assert state_of(db, shelter) == "open"


def test_closing_stops_admissions_only_after_a_confirmation(db, signed_in):
    shelter = insert_shelter(db, state="open")
    lead = signed_in("lead", shelter)
    response = lead.post("/shelters/E1420400001111/transition", {"to": "closing"})
    assert response.status_code == 409 and "新しい受付が止まります" in response.get_data(as_text=True)
    assert state_of(db, shelter) == "open"
    assert lead.post("/shelters/E1420400001111/transition", {"to": "closing", "confirm": "yes"}).status_code == 302
    assert state_of(db, shelter) == "closing"


def test_only_hq_hides_a_shelter(db, shelter_a):
    from shelter_ops.domain.errors import Forbidden
    from shelter_ops.eventlog import Actor

    with pytest.raises(Forbidden):
        shelters.set_hidden(db, shelter_a["id"], True, actor=Actor("lead1", "lead", shelter_a["id"]))
    assert not shelters.get(db, shelter_a["id"])["hidden"]
    shelters.set_hidden(db, shelter_a["id"], True, actor=Actor("hq1", "hq"))
    assert shelters.get(db, shelter_a["id"])["hidden"]


def test_a_shelter_registered_here_keeps_the_id_its_kyotsu_id_gives_on_every_install(db, app, tmp_path):
    from shelter_ops.db import connect, migrate

    other = connect(str(tmp_path / "other.sqlite"))
    migrate(other)
    here = shelters.register(db, {"kyotsu_id": "E1420400077111", "name": "港の体育館"}, actor="system")
    there = shelters.register(other, {"kyotsu_id": "E1420400077111", "name": "港の体育館"}, actor="system")
    assert here["id"] == there["id"] == shelters.stable_id("E1420400077111")
    without = shelters.register(db, {"name": "臨時避難所（公民館）"}, actor="system")
    assert without["kyotsu_id"] is None and without["id"] != shelters.register(
        other, {"name": "臨時避難所（公民館）"}, actor="system")["id"]
    other.close()


def test_a_shelter_keeps_its_id_across_versions():
    """HQ and a node on another version of shelter-ops must agree on a shelter's id: these are the ids
    the first release made (a changed namespace or derivation would split every shelter in two)."""
    assert shelters.stable_id("E1420400077111") == "80d6142e-ccae-5109-8d11-4d40492aca95"
    assert shelters.stable_id("E1420400001111") == "3baa84f9-f7d3-5fd6-90e5-33e7efbb24fb"


def test_a_kyotsu_id_is_registered_once(db, shelter_a):
    from shelter_ops.domain.errors import Conflict

    with pytest.raises(Conflict):
        shelters.register(db, {"kyotsu_id": "E1420400001111", "name": "別名"}, actor="system")
