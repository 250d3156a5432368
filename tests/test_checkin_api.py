"""Check-in over the API: scanned codes, household records, idempotency, movements, the roster."""
import base64
import json

import pytest

from shelter_ops import create_app
from shelter_ops.db import connect, write
from shelter_ops.domain import accounts, households, prereg, shelters

from conftest import PASSWORD, insert_shelter

KEY = base64.b64encode(b"K" * 32).decode()
A = "/api/v1/shelters/E1420400001111"
FAMILY = {"household": {"address": "鎌倉市御成町", "phone": "0467-00-0000", "consent": "family"},
          "persons": [{"name": "鎌倉 花子", "sex": "female", "age": 70, "care_codes": ["MED"],
                       "medical_devices": "在宅酸素"},
                      {"name": "鎌倉 次郎", "sex": "male", "age": 9}]}


def open_shelter(db, shelter):
    with write(db):
        db["shelters"].update(shelter["id"], {"state": "open"})
    return shelters.get(db, shelter["id"])


def present(db, shelter):
    return households.present_counts(db).get(shelter["id"], {}).get("total", 0)


@pytest.fixture
def open_a(db, shelter_a):
    return open_shelter(db, shelter_a)


def test_a_household_registered_by_api_counts_at_once(db, open_a, api):
    response = api("staff", open_a).post(f"{A}/checkins", json=FAMILY)
    assert response.status_code == 201
    assert response.json["household"]["status"] == "checked_in"
    assert present(db, open_a) == 2


def test_a_scanned_number_checks_a_pending_household_in_once(db, open_a, api):
    pending = households.register(db, open_a["id"], FAMILY["household"], FAMILY["persons"], actor="door",
                                  source="door")
    assert present(db, open_a) == 0
    client = api("staff", open_a)
    first = client.post(f"{A}/checkins", json={"code": pending["display_number"].lower()})
    assert first.status_code == 201 and first.json["already"] is False
    second = client.post(f"{A}/checkins", json={"code": pending["reception_number"]})
    assert second.status_code == 200 and second.json["already"] is True
    assert present(db, open_a) == 2


def test_a_repeated_idempotency_key_registers_once(db, open_a, api):
    client = api("staff", open_a)
    first = client.post(f"{A}/checkins", json=FAMILY, headers={"Idempotency-Key": "tablet-1-42"})
    again = client.post(f"{A}/checkins", json=FAMILY, headers={"Idempotency-Key": "tablet-1-42"})
    # the retry gets the first answer again, byte for byte, and nothing is registered twice
    assert first.status_code == again.status_code == 201 and again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert present(db, open_a) == 2


def test_a_mistyped_number_is_refused_not_matched(db, open_a, api):
    household = households.register(db, open_a["id"], {}, [{"name": "A"}], actor="t", source="door")
    code = household["reception_number"]
    wrong = code[:2] + ("2" if code[2] != "2" else "3") + code[3:]
    response = api("staff", open_a).post(f"{A}/checkins", json={"code": wrong}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.json["error"]["message_ja"] and "not valid" in response.json["error"]["message_en"]
    assert households.by_number(db, code)["status"] == "pending"


def test_check_in_is_refused_when_the_shelter_is_not_open(db, shelter_a, api):
    response = api("staff", shelter_a).post(f"{A}/checkins", json=FAMILY)
    assert response.status_code == 409
    assert "開設していない" in response.json["error"]["message_ja"]


def test_a_preregistration_qr_is_read_by_another_server_sharing_only_the_key(tmp_path, db, open_a, api):
    sealed = prereg.seal(KEY, {"address": "鎌倉市", "consent": "none"},
                         [{"name": "事前 登録", "sex": "male", "age": 40, "allergens": ["そば"]}])
    other = create_app({"DB": str(tmp_path / "other.sqlite"), "SECRET_KEY": "other", "DEMO": False,
                        "TESTING": True, "PREREG_KEY": KEY})
    other_db = connect(other.config["DB"])
    try:
        shelter = insert_shelter(other_db, "E1420400009999", "別の避難所", state="open")
        accounts.add_user(other_db, "hq-x", PASSWORD, "hq")
        token = accounts.create_token(other_db, "hq-x")
        client = other.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        response = client.post("/api/v1/shelters/E1420400009999/checkins", json={"code": sealed})
        assert response.status_code == 201, response.json
        person = response.json["household"]["persons"][0]
        assert person["name"] == "事前 登録" and person["allergens"] == ["そば"]
        assert client.post("/api/v1/shelters/E1420400009999/checkins", json={"code": sealed}).json["already"]
        assert households.present_counts(other_db)[shelter["id"]]["total"] == 1
    finally:
        other_db.close()
    # the first server has another key: it refuses, clearly
    response = api("staff", open_a).post(f"{A}/checkins", json={"code": sealed})
    assert response.status_code == 400


def test_check_out_of_one_person_then_the_rest(db, open_a, api):
    client = api("staff", open_a)
    household = client.post(f"{A}/checkins", json=FAMILY).json["household"]
    first = household["persons"][0]["id"]
    response = client.post(f"{A}/checkouts", json={"household_id": household["id"], "person_ids": [first]})
    assert response.status_code == 200 and present(db, open_a) == 1
    client.post(f"{A}/checkouts", json={"reception_number": household["reception_number"]})
    assert present(db, open_a) == 0
    assert households.get(db, household["id"])["status"] == "checked_out"


def test_away_overnight_keeps_the_place(db, open_a, api):
    client = api("staff", open_a)
    household = client.post(f"{A}/checkins", json=FAMILY).json["household"]
    response = client.post(f"{A}/absences", json={"household_id": household["id"], "state": "away"})
    assert {p["status"] for p in response.json["household"]["persons"]} == {"away"}
    assert present(db, open_a) == 2
    response = client.post(f"{A}/absences", json={"household_id": household["id"], "state": "back"})
    assert {p["status"] for p in response.json["household"]["persons"]} == {"in"}


def test_transfer_moves_the_record(db, open_a, shelter_b, api):
    open_shelter(db, shelter_b)
    client = api("hq")
    household = client.post(f"{A}/checkins", json=FAMILY).json["household"]
    response = client.post(f"{A}/transfers", json={"household_id": household["id"], "to": "E1420400002111"})
    assert response.status_code == 200
    assert present(db, open_a) == 0 and present(db, shelter_b) == 2
    moved = households.get(db, household["id"])
    assert moved["shelter_id"] == shelter_b["id"] and moved["transferred_from"] == open_a["id"]
    assert moved["reception_number"] == household["reception_number"]


def test_transfer_only_to_an_open_shelter(db, open_a, shelter_b, api):
    client = api("hq")
    household = client.post(f"{A}/checkins", json=FAMILY).json["household"]
    response = client.post(f"{A}/transfers", json={"household_id": household["id"], "to": "E1420400002111"})
    assert response.status_code == 409
    assert present(db, open_a) == 2


def test_transfer_warns_when_a_person_is_already_checked_in_elsewhere(db, open_a, shelter_b, api):
    open_shelter(db, shelter_b)
    client = api("hq")
    client.post("/api/v1/shelters/E1420400002111/checkins", json=FAMILY)
    household = client.post(f"{A}/checkins", json=FAMILY).json["household"]
    shelter_c = open_shelter(db, insert_shelter(db, "E1420400003111", "第三"))
    response = client.post(f"{A}/transfers", json={"household_id": household["id"], "to": shelter_c["kyotsu_id"]})
    assert response.status_code == 200
    assert any("鎌倉 花子" in w["ja"] for w in response.json["warnings"])


def test_count_only_heads_join_the_occupancy(db, open_a, api):
    client = api("staff", open_a)
    client.post(f"{A}/checkins", json=FAMILY)
    for sex, band in (("male", "adult"), ("female", "elderly"), ("female", "elderly")):
        assert client.post(f"{A}/headcounts", json={"sex": sex, "age_band": band}).status_code == 200
    assert present(db, open_a) == 5
    response = client.post(f"{A}/headcounts", json={"sex": "female", "age_band": "elderly", "delta": -1})
    assert response.json["total"] == 2 and present(db, open_a) == 4
    listed = client.get("/api/v1/shelters/E1420400001111").json
    assert listed["present"] == 4


def test_evacuees_outside_the_shelter_are_not_counted(db, open_a, api):
    client = api("staff", open_a)
    car = {"household": {"staying": "car", "vehicle": "白い軽自動車"}, "persons": [{"name": "車 泊"}]}
    assert client.post(f"{A}/checkins", json=car).status_code == 201
    assert present(db, open_a) == 0
    assert households.outside_counts(db)[open_a["id"]] == {"car": 1}


def test_cannot_close_while_anyone_is_checked_in(db, open_a, api):
    staff = api("staff", open_a)
    household = staff.post(f"{A}/checkins", json=FAMILY).json["household"]
    # a head counted at the door while the shelter was open
    assert staff.post(f"{A}/headcounts", json={"sex": "male", "age_band": "adult"}).status_code == 200
    lead = api("lead", open_a)
    lead.post(f"{A}/transitions", json={"to": "closing", "confirm": True})
    response = lead.post(f"{A}/transitions", json={"to": "closed", "confirm": True})
    assert response.status_code == 409 and "3人" in response.json["error"]["message_ja"]
    lead.post(f"{A}/checkouts", json={"household_id": household["id"]})
    response = lead.post(f"{A}/transitions", json={"to": "closed", "confirm": True})
    assert response.status_code == 409 and "1人" in response.json["error"]["message_ja"]
    assert lead.post(f"{A}/headcounts", json={"sex": "male", "age_band": "adult", "delta": -1}).status_code == 200
    response = lead.post(f"{A}/transitions", json={"to": "closed", "confirm": True})
    assert response.status_code == 200


def test_sensitive_fields_and_non_disclosure_hidden_from_staff(db, open_a, api):
    family = {"household": {}, "persons": [{"name": "表示 可", "care_codes": ["MED"], "medication": "薬A"},
                                           {"name": "非公開 者", "non_disclosure": True}]}
    api("staff", open_a).post(f"{A}/checkins", json=family)
    staff_view = json.dumps(api("staff", open_a).get(f"{A}/households").json, ensure_ascii=False)
    assert "表示 可" in staff_view
    assert "非公開 者" not in staff_view and "薬A" not in staff_view and "MED" not in staff_view
    lead_view = json.dumps(api("lead", open_a).get(f"{A}/households").json, ensure_ascii=False)
    assert "非公開 者" in lead_view and "薬A" in lead_view


def test_paper_card_numbers_are_reserved_then_keyed_in(db, open_a, api):
    lead = api("lead", open_a)
    assert api("staff", open_a).post(f"{A}/reception-numbers", json={"count": 5}).status_code == 403
    numbers = lead.post(f"{A}/reception-numbers", json={"count": 5}).json["numbers"]
    response = lead.post(f"{A}/checkins", json={"code": numbers[0]})
    assert response.status_code == 404 and response.json["error"]["code"] == "PaperCardNotEntered"
    card = {**FAMILY, "source": "paper", "reception_number": numbers[0]}
    assert lead.post(f"{A}/checkins", json=card).json["household"]["reception_number"] == numbers[0]
    assert lead.post(f"{A}/checkins", json={"code": numbers[0]}).json["already"] is True


def test_checkin_endpoints_are_in_the_openapi_document(api):
    paths = api("hq").get("/api/v1/openapi.json").json["paths"]
    for path in ("checkins", "checkouts", "transfers", "absences", "headcounts", "households"):
        assert f"/shelters/{{ref}}/{path}" in paths


@pytest.mark.parametrize("body", [
    {"household": {}, "persons": [{"name": "A", "sex": ["male"]}]},
    {"household": {}, "persons": [{"name": "A", "care_codes": {"MED": True}}]},
    {"household": {}, "persons": [{"name": "A", "age": [3]}]},
    {"household": {}, "persons": ["A"]},
    {"household": {}, "persons": [{"name": ["A"]}]},
    {"household": {"staying": ["car"]}, "persons": [{"name": "A"}]},
    {"household": {}, "persons": [{"name": "A"}], "source": ["door"]},
    {"household": {}, "persons": [{"name": "A"}], "status": {"x": 1}},
    {"code": ["7K93HNL"]},
])
def test_a_malformed_record_is_refused_with_a_reason_not_a_server_error(open_a, api, body):
    response = api("staff", open_a).post(f"{A}/checkins", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["message_ja"] and response.json["error"]["message_en"]


@pytest.mark.parametrize("body", [{"sex": ["male"], "age_band": "adult"}, {"sex": "male", "age_band": {"a": 1}},
                                  {"sex": "male", "age_band": "adult", "delta": [1]}])
def test_a_malformed_head_count_is_refused(open_a, api, body):
    assert api("staff", open_a).post(f"{A}/headcounts", json=body).status_code == 400


def test_a_lead_cannot_transfer_a_household_of_another_shelter(db, open_a, shelter_b, api):
    open_shelter(db, shelter_b)
    household = api("hq").post("/api/v1/shelters/E1420400002111/checkins", json=FAMILY).json["household"]
    response = api("lead", open_a).post(f"{A}/transfers", json={"household_id": household["id"],
                                                                "to": "E1420400001111"})
    assert response.status_code == 404
    assert households.get(db, household["id"])["shelter_id"] == shelter_b["id"]


def test_the_duplicate_warning_never_tells_where_a_non_disclosed_person_is(db, open_a, shelter_b, api):
    """A 非公開 person is often hiding from an abuser: registering their name elsewhere must not reveal them."""
    open_shelter(db, shelter_b)
    client = api("hq")
    hidden = {"household": {"staying": "shelter"},
              "persons": [{"name": "逗子 梅子", "birth_date": "1980-05-05", "non_disclosure": True}]}
    assert client.post("/api/v1/shelters/E1420400002111/checkins", json=hidden).status_code == 201
    # someone registers the same name and birth date at the door of A; staff scan the number
    seeker = households.register(db, open_a["id"], {"staying": "shelter"},
                                 [{"name": "逗子 梅子", "birth_date": "1980-05-05"}], actor="door", source="door")
    response = api("staff", open_a).post(f"{A}/checkins", json={"code": seeker["reception_number"]})
    assert response.status_code == 201
    assert response.json["warnings"] == []
    assert "第二" not in response.get_data(as_text=True)
