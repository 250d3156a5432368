"""Supplies: the ledger, requests to HQ and their lifecycle, HQ's open list, needs from the roster."""
import pytest

from shelter_ops.domain import supplies

REF_A = "E1420400001111"
REF_B = "E1420400002111"


def request_water(client, ref=REF_A, **extra):
    body = {"item": "飲料水 2L", "quantity": 24, "unit": "本", "priority": "urgent", "wanted_by": "2026-11-23", **extra}
    response = client.post(f"/api/v1/shelters/{ref}/supply-requests", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def step(client, request_id, to, **extra):
    return client.post(f"/api/v1/supply-requests/{request_id}/transitions", json={"to": to, **extra},
                       headers={"Accept-Language": "en"})


def test_a_request_goes_requested_accepted_sent_received_and_lands_in_stock(db, shelter_a, api):
    staff, hq = api("staff", shelter_a), api("hq")
    item = request_water(staff)
    assert item["status"] == "requested" and item["requested_by"].startswith("api-staff")
    for to in ("accepted", "sent"):
        response = step(hq, item["id"], to)
        assert response.status_code == 200 and response.get_json()["status"] == to
        assert response.get_json()[f"{to}_by"].startswith("api-hq") and response.get_json()[f"{to}_at"]
    response = step(staff, item["id"], "received", received_quantity=20, expiry="2027-03-31")
    assert response.status_code == 200
    done = response.get_json()
    assert done["status"] == "received" and done["received_quantity"] == 20
    stock = staff.get(f"/api/v1/shelters/{REF_A}/supplies").get_json()["stock"]
    assert stock == [{"item": "飲料水 2L", "unit": "本", "received": 20, "distributed": 0, "stock": 20,
                      "earliest_expiry": "2027-03-31"}]


def test_receiving_twice_adds_to_stock_once(db, shelter_a, api):
    staff, hq = api("staff", shelter_a), api("hq")
    item = request_water(staff)
    step(hq, item["id"], "accepted")
    step(hq, item["id"], "sent")
    assert step(staff, item["id"], "received").status_code == 200
    assert step(staff, item["id"], "received").status_code == 200
    assert supplies.stock_of(db, shelter_a["id"], "飲料水 2L", "本") == 24


@pytest.mark.parametrize("path, illegal", [
    ((), "sent"),
    ((), "received"),
    (("accepted",), "received"),
    (("accepted",), "refused"),
    (("accepted", "sent"), "cancelled"),
    (("accepted", "sent"), "accepted"),
    (("accepted", "sent", "received"), "sent"),
    (("refused",), "accepted"),
    (("cancelled",), "accepted"),
])
def test_illegal_steps_are_refused_with_409_in_japanese_and_english(db, shelter_a, api, path, illegal):
    staff, hq = api("staff", shelter_a), api("hq")
    item = request_water(staff)
    for to in path:
        assert step(hq, item["id"], to, reason="在庫がありません").status_code == 200
    response = step(hq, item["id"], illegal, reason="x")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["message"] == error["message_en"] and "cannot become" in error["message_en"]
    assert "にはできません" in error["message_ja"]
    assert supplies.get_request(db, item["id"])["status"] == (path[-1] if path else "requested")


def test_only_hq_accepts_and_sends(db, shelter_a, api):
    staff = api("staff", shelter_a)
    item = request_water(staff)
    response = step(staff, item["id"], "accepted")
    assert response.status_code == 403
    assert response.get_json()["error"]["message_ja"] == "この操作は本部のみ行えます。"


def test_refusing_and_cancelling_need_a_reason_and_keep_it(db, shelter_a, api):
    staff, hq = api("staff", shelter_a), api("hq")
    first, second = request_water(staff), request_water(staff)
    assert step(hq, first["id"], "refused").status_code == 400
    refused = step(hq, first["id"], "refused", reason="県の備蓄に在庫なし").get_json()
    assert refused["status"] == "refused" and refused["reason"] == "県の備蓄に在庫なし" and refused["refused_by"]
    cancelled = step(staff, second["id"], "cancelled", reason="近所から届いた").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"].startswith("api-staff")


def test_hq_sees_open_requests_across_shelters_most_urgent_first(db, shelter_a, shelter_b, api):
    a, b, hq = api("staff", shelter_a), api("staff", shelter_b), api("hq")
    request_water(a, priority="normal", item="毛布", unit="枚")
    urgent = request_water(b, REF_B, priority="urgent", item="液体ミルク", unit="本")
    done = request_water(a)
    step(hq, done["id"], "refused", reason="重複")
    rows = hq.get("/api/v1/supply-requests").get_json()["requests"]
    assert [(r["shelter_name"], r["item"]) for r in rows] == [("第二小学校", "液体ミルク"), ("第一小学校", "毛布")]
    assert rows[0]["id"] == urgent["id"]
    # a shelter's staff see only their own shelter's
    assert [r["item"] for r in a.get("/api/v1/supply-requests").get_json()["requests"]] == ["毛布"]


def test_staff_of_another_shelter_get_403(db, shelter_a, shelter_b, api):
    item = request_water(api("staff", shelter_a))
    other = api("staff", shelter_b)
    assert other.get(f"/api/v1/shelters/{REF_A}/supplies").status_code == 403
    assert other.post(f"/api/v1/shelters/{REF_A}/supply-requests",
                      json={"item": "水", "quantity": 1, "unit": "本"}).status_code == 403
    assert step(other, item["id"], "cancelled", reason="x").status_code == 403
    assert supplies.get_request(db, item["id"])["status"] == "requested"


def test_cannot_distribute_more_than_in_stock(db, shelter_a, api):
    staff = api("staff", shelter_a)
    url = f"/api/v1/shelters/{REF_A}/supplies/moves"
    assert staff.post(url, json={"direction": "in", "item": "毛布", "quantity": 50, "unit": "枚"}).status_code == 201
    assert staff.post(url, json={"direction": "out", "item": "毛布", "quantity": 30, "unit": "枚"}).status_code == 201
    response = staff.post(url, json={"direction": "out", "item": "毛布", "quantity": 21, "unit": "枚"})
    assert response.status_code == 409 and "在庫が足りません" in response.get_json()["error"]["message_ja"]
    assert supplies.stock(db, shelter_a["id"])[0]["stock"] == 20


def test_a_repeated_request_with_the_same_key_is_recorded_once(db, shelter_a, api):
    staff = api("staff", shelter_a)
    body = {"item": "水", "quantity": 6, "unit": "本"}
    headers = {"Idempotency-Key": "5d3e9d0e-7f57-4a43-9a63-2b1d1a3b0c11"}
    first = staff.post(f"/api/v1/shelters/{REF_A}/supply-requests", json=body, headers=headers)
    again = staff.post(f"/api/v1/shelters/{REF_A}/supply-requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.data == first.data  # the first answer again
    assert len(supplies.requests(db, shelter_a["id"])) == 1


def test_the_same_key_from_two_shelters_is_two_operations(db, shelter_a, shelter_b, api):
    """Issue 11: lead A's log entry and lead B's delivery with one Idempotency-Key; B's water was lost."""
    key = {"Idempotency-Key": "same-key-on-two-tablets"}
    entry = api("lead", shelter_a).post(f"/api/v1/shelters/{REF_A}/log", json={"kind": "incident", "text": "停電"},
                                        headers=key)
    delivery = api("lead", shelter_b).post("/api/v1/shelters/E1420400002111/supplies/moves", headers=key,
                                           json={"direction": "in", "item": "水", "quantity": 24, "unit": "本"})
    assert entry.status_code == delivery.status_code == 201
    assert supplies.stock(db, shelter_b["id"])[0]["stock"] == 24


def test_tablet_request_accept_send_receive(db, shelter_a, signed_in):
    staff, hq = signed_in("staff", shelter_a), signed_in("hq")
    page = staff.get(f"/supplies/{REF_A}")
    assert page.status_code == 200 and "本部への物資要請" in page.get_data(as_text=True)
    response = staff.post(f"/supplies/{REF_A}/requests", {"item": "紙おむつ S", "quantity": "３０", "unit": "枚",
                                                          "priority": "high", "wanted_by": "2026-11-24"})
    assert response.status_code == 302
    item = supplies.requests(db, shelter_a["id"])[0]
    assert item["quantity"] == 30 and item["priority"] == "high"
    board = hq.get("/supplies/hq").get_data(as_text=True)
    assert "紙おむつ S" in board and "第一小学校" in board and "受け付ける" in board
    assert hq.post(f"/supplies/requests/{item['id']}/accepted", {"back": "hq"}).status_code == 302
    assert hq.post(f"/supplies/requests/{item['id']}/sent", {"back": "hq"}).status_code == 302
    assert staff.post(f"/supplies/requests/{item['id']}/received", {"received_quantity": "30"}).status_code == 302
    page = staff.get(f"/supplies/{REF_A}").get_data(as_text=True)
    assert "受領済" in page and 'data-testid="stock"><strong>30</strong>' in page
    assert "紙おむつ S" not in hq.get("/supplies/hq").get_data(as_text=True)


def test_staff_cannot_open_hqs_request_board(db, shelter_a, signed_in):
    assert signed_in("staff", shelter_a).get("/supplies/hq").status_code == 403


def test_needs_count_infants_allergens_devices_and_diet_without_names():
    persons = [
        {"name": "鎌倉 花子", "care_codes": ["INF"], "age": 0},
        {"name": "鎌倉 太郎", "birth_date": "2025-06-01"},
        {"name": "由比 一郎", "age": 40, "allergies": ["卵", "えび"], "diet": ["ハラール"]},
        {"name": "由比 二郎", "age": 70, "care_codes": "MED", "medical_devices": ["在宅酸素"]},
        {"name": "腰越 三子", "age": 9, "allergies": "卵", "diet": "嚥下食"},
    ]
    from datetime import date

    needs = supplies.estimate_from_persons(persons, days=3, today=date(2026, 11, 22))
    assert needs["persons"] == 5 and needs["infants"] == 2
    formula = next(s for s in needs["infant_supplies"] if s["key"] == "formula")
    diapers = next(s for s in needs["infant_supplies"] if s["key"] == "diapers")
    assert formula["per_day"] == 2 * supplies.INFANT_DAILY["formula"][1]
    assert diapers["quantity"] == 2 * supplies.INFANT_DAILY["diapers"][1] * 3
    assert {a["key"]: a["count"] for a in needs["allergens"]} == {"egg": 2, "shrimp": 1}
    assert {d["key"]: d["count"] for d in needs["medical_devices"]} == {"在宅酸素": 1}
    assert {d["key"]: d["count"] for d in needs["diet"]} == {"ハラール": 1, "嚥下食": 1}
    assert "鎌倉" not in repr(needs) and "由比" not in repr(needs)


def test_needs_estimated_from_a_known_roster(db, shelter_a, api):
    from shelter_ops.domain import households

    db.execute("update shelters set state = 'open' where id = ?", [shelter_a["id"]])
    db.conn.commit()
    register = lambda persons: households.register(db, shelter_a["id"], {}, persons, actor="受付",  # noqa: E731
                                                   source="desk", status="checked_in")
    register([{"name": "鎌倉 花子", "age": 31, "care_codes": ["PRG"], "allergens": ["乳"]},
              {"name": "鎌倉 ひかり", "age": 0, "care_codes": ["INF"]},
              {"name": "鎌倉 そら", "age": 1}])
    register([{"name": "由比 一郎", "age": 72, "medical_devices": "在宅酸素", "diet": "嚥下食"},
              {"name": "由比 二子", "age": 70, "allergens": ["卵", "えび"], "allergens_other": "キウイ"}])
    register([{"name": "腰越 三郎", "age": 40, "allergens": ["卵"], "non_disclosure": True, "diet": "ハラール"}])
    households.register(db, shelter_a["id"], {}, [{"name": "未入所 者", "age": 0}], actor="door", source="door")

    response = api("lead", shelter_a).get(f"/api/v1/shelters/{REF_A}/needs?days=2")
    assert response.status_code == 200
    needs = response.get_json()
    assert needs["persons"] == 6 and needs["infants"] == 2  # the pending door registration is not in yet
    diapers = next(s for s in needs["infant_supplies"] if s["key"] == "diapers")
    assert diapers["quantity"] == 2 * supplies.INFANT_DAILY["diapers"][1] * 2
    assert {a["key"]: a["count"] for a in needs["allergens"]} == {"egg": 2, "milk": 1, "shrimp": 1, "キウイ": 1}
    assert {d["key"]: d["count"] for d in needs["medical_devices"]} == {"在宅酸素": 1}
    assert {d["key"]: d["count"] for d in needs["diet"]} == {"嚥下食": 1, "ハラール": 1}
    body = response.get_data(as_text=True)
    assert not any(name in body for name in ("鎌倉", "由比", "腰越"))


def test_staff_of_another_shelter_cannot_open_or_change_its_supplies_on_the_tablet(db, shelter_a, shelter_b, signed_in):
    item = supplies.create_request(db, shelter_a["id"], item="水", quantity=6, unit="本", actor="佐藤")
    other = signed_in("staff", shelter_b)
    assert other.get(f"/supplies/{REF_A}").status_code == 403
    assert other.post(f"/supplies/{REF_A}/moves", {"direction": "in", "item": "水", "quantity": "1",
                                                   "unit": "本"}).status_code == 403
    refused = other.post(f"/supplies/requests/{item['id']}/cancelled", {"reason": "x"})
    assert refused.status_code == 403 and "この避難所を操作する権限がありません" in refused.get_data(as_text=True)
    assert supplies.stock(db, shelter_a["id"]) == []
