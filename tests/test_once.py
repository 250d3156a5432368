"""A request counts once: a retried API call with its Idempotency-Key, a double tap on a form."""
import re
import threading

import pytest

from shelter_ops.domain import clock, daylog, supplies
from shelter_ops.eventlog import projection_tables

from checkin_helpers import open_shelter

A = "/api/v1/shelters/E1420400001111"


def _state(db):
    """Every projection table, row by row: what a retry must leave as it found it."""
    return {t: db.execute(f"select * from [{t}] order by rowid").fetchall() for t in projection_tables(db)}


def test_a_key_another_shelter_used_never_drops_its_delivery(db, shelter_a, shelter_b, api):
    """Measured on the first round's main: B's 24 bottles answered {"repeated": true} and never arrived."""
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    key = {"Idempotency-Key": "2026-09-01-0001"}
    logged = api("lead", shelter_a).post(f"{A}/log", json={"kind": "incident", "text": "朝の点呼"}, headers=key)
    assert logged.status_code == 201
    delivered = api("lead", shelter_b).post("/api/v1/shelters/E1420400002111/supplies/moves", headers=key,
                                            json={"item": "水 500ml", "unit": "本", "direction": "in", "quantity": 24})
    assert delivered.status_code == 201
    assert supplies.stock(db, shelter_b["id"])[0]["stock"] == 24


def test_an_hq_key_reused_at_another_shelter_is_another_request(db, shelter_a, shelter_b, api):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    hq, key = api("hq"), {"Idempotency-Key": "k-1"}
    family = {"household": {"staying": "shelter"}, "persons": [{"name": "逗子 一郎"}]}
    at_a = hq.post(f"{A}/checkins", json=family, headers=key)
    at_b = hq.post("/api/v1/shelters/E1420400002111/checkins", json=family, headers=key)
    assert at_a.status_code == at_b.status_code == 201
    assert at_a.json["household"]["shelter_id"] == shelter_a["id"]
    assert at_b.json["household"]["shelter_id"] == shelter_b["id"]


ROUTES = [
    ("checkins", {"household": {"staying": "shelter"}, "persons": [{"name": "鎌倉 一郎", "age": 40}]}),
    ("headcounts", {"sex": "female", "age_band": "elderly"}),
    ("supplies/moves", {"item": "アルファ米", "unit": "食", "direction": "in", "quantity": 100}),
    ("supply-requests", {"item": "毛布", "quantity": 50, "unit": "枚"}),
    ("log", {"kind": "incident", "text": "給水車が到着"}),
    ("announcements", {"ja": "夕食は18時です", "en": "Dinner is at 18:00"}),
    ("reports", {}),
    ("zones", {"name": "図書室", "kind": "general", "usable_m2": 60}),
]


@pytest.mark.parametrize("route, body", ROUTES, ids=[r for r, _ in ROUTES])
def test_a_retried_call_gets_the_first_answer_and_changes_nothing_more(db, shelter_a, api, route, body):
    open_shelter(db, shelter_a)
    client = api("lead", shelter_a)
    first = client.post(f"{A}/{route}", json=body, headers={"Idempotency-Key": f"retry-{route}"})
    assert first.status_code in (200, 201), first.get_data(as_text=True)
    before = _state(db)
    again = client.post(f"{A}/{route}", json=body, headers={"Idempotency-Key": f"retry-{route}"})
    assert (again.status_code, again.data) == (first.status_code, first.data)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _state(db) == before


def test_a_key_reused_with_another_body_is_refused_in_japanese_and_english(db, shelter_a, api):
    open_shelter(db, shelter_a)
    client = api("lead", shelter_a)
    key = {"Idempotency-Key": "reused"}
    assert client.post(f"{A}/log", json={"kind": "incident", "text": "一つ目"}, headers=key).status_code == 201
    refused = client.post(f"{A}/log", json={"kind": "incident", "text": "二つ目"}, headers=key)
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "IdempotencyKeyReused" and "別の内容" in error["message_ja"]
    assert "another body" in error["message_en"]
    assert [e["text"] for e in daylog.day_view(db, shelter_a["id"], clock.today())["entries"]] == ["一つ目"]


def test_a_refusal_is_not_half_applied_and_a_retry_gets_the_same_refusal(db, shelter_a, api):
    client = api("lead", shelter_a)  # the shelter is not open: the check-in is refused
    body = {"household": {"staying": "shelter"}, "persons": [{"name": "材木座 花"}]}
    first = client.post(f"{A}/checkins", json=body, headers={"Idempotency-Key": "closed-1"})
    again = client.post(f"{A}/checkins", json=body, headers={"Idempotency-Key": "closed-1"})
    assert first.status_code == again.status_code == 409 and first.data == again.data
    assert db.execute("select count(*) from households").fetchone()[0] == 0


def _once_token(page):
    match = re.search(r'name="_once" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "no one-time token on the form"
    return match.group(1)


def test_a_double_tap_on_a_form_saves_once_and_both_taps_land_on_the_same_page(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    lead = signed_in("lead", shelter_a)
    page = lead.get("/running/E1420400001111/log")
    form = {"kind": "incident", "text": "毛布100枚を受け取った", "_once": _once_token(page)}
    answers = []

    def tap():
        answers.append(lead.post("/running/E1420400001111/log", form, page=page))

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for t in taps:
        t.start()
    for t in taps:
        t.join(20)
    assert sorted(a.status_code for a in answers) == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    entries = daylog.day_view(db, shelter_a["id"], clock.today())["entries"]
    assert [e["text"] for e in entries] == ["毛布100枚を受け取った"]


def test_a_refused_form_can_be_corrected_and_sent_again_with_its_token(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    lead = signed_in("lead", shelter_a)
    page = lead.get("/running/E1420400001111/log")
    token = _once_token(page)
    refused = lead.post("/running/E1420400001111/log", {"kind": "incident", "text": "", "_once": token}, page=page)
    assert refused.status_code == 400
    sent = lead.post("/running/E1420400001111/log", {"kind": "incident", "text": "やり直し", "_once": token}, page=page)
    assert sent.status_code == 302
