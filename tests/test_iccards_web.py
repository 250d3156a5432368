"""IC cards on the desk's screens, in the API, and on a reader attached to the server (#15 part 4)."""
import re

import pytest

from shelter_ops import live, nfc_reader
from shelter_ops.domain import households, iccards

from checkin_helpers import open_shelter

REF = "E1420400001111"
DESK = f"/shelters/{REF}/desk"
SUICA, BLANK = "012E4C819A3B5D07", "8F3A91C2"
JSON = {"Accept": "application/json"}


@pytest.fixture
def here(app, db, shelter_a):
    open_shelter(db, shelter_a)
    app.config["CARD_REPEAT_SECONDS"] = 0  # these tests tap again at once; test_iccards.py times the window
    return shelter_a


def _family(db, shelter, *names, status="checked_in"):
    return households.register(db, shelter["id"], {}, [{"name": n} for n in names], actor="desk",
                               source="desk" if status == "checked_in" else "door", status=status)


# --- the desk ---

def test_a_card_tapped_into_the_scan_box_checks_out_and_in_and_the_desk_says_who(db, here, signed_in):
    hanako = _family(db, here, "山田 花子", "山田 太郎")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    staff = signed_in("staff", here)
    out = staff.post(f"{DESK}/scan", {"code": SUICA}, headers=JSON).json
    assert out["result"] == "ok" and out["message"] == "山田 花子さん 退所しました"
    assert out["card"]["action"] == "checked_out" and out["counts"]["present"] == 1
    page = staff.post(f"{DESK}/scan", {"code": SUICA}).get_data(as_text=True)  # no script: the page answers
    assert "result-ok" in page and "山田 花子さん 入所しました" in page


def test_the_desk_offers_the_modes_and_a_meal_tap_is_counted_on_the_supplies_screen(db, here, signed_in):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    staff = signed_in("staff", here)
    page = staff.get(DESK).get_data(as_text=True)
    for key in iccards.MODES:
        assert f'data-testid="mode-{key}"' in page
    assert "食事" in page and "入浴" in page and 'id="card-offer-template"' in page
    meal = staff.post(f"{DESK}/scan", {"code": SUICA, "mode": "meal"}, headers=JSON).json
    assert meal["message"] == "山田 花子さん 食事を受け取りました（今日1回目）" and meal["card"]["count_today"] == 1
    supplies = staff.get(f"/supplies/{REF}").get_data(as_text=True)
    assert re.search(r'data-testid="pickup-meal">1<', supplies) and re.search(r'data-testid="pickup-water">0<', supplies)
    assert "山田" not in supplies[supplies.index('id="pickups"'):]  # counts only, no names


def test_in_a_pickup_mode_a_reception_number_is_refused_in_words(db, here, signed_in):
    household = _family(db, here, "戸口 一", status="pending")
    staff = signed_in("staff", here)
    answer = staff.post(f"{DESK}/scan", {"code": household["reception_number"], "mode": "water"}, headers=JSON).json
    assert answer["result"] == "unknown" and "IC カードをタッチ" in answer["message"]
    assert households.get(db, household["id"])["status"] == "pending"


def test_an_unknown_card_is_said_in_words_and_linked_from_the_desk(db, here, signed_in):
    household = _family(db, here, "山田 花子", "山田 太郎")
    taro = household["persons"][1]
    staff = signed_in("staff", here)
    unknown = staff.post(f"{DESK}/scan", {"code": "8f:3a:91:c2"}, headers=JSON).json
    assert unknown["result"] == "unknown" and "登録されていません" in unknown["message"]
    assert unknown["card"]["unknown"] and unknown["card"]["id"] == BLANK
    offer = staff.post(unknown["card"]["link_url"], {"card": unknown["card"]["id"],
                                                     "number": household["display_number"]})
    page = offer.get_data(as_text=True)
    assert offer.status_code == 200 and "タッチしたカードをこの方に登録" in page and "山田 太郎" in page
    linked = staff.post("/shelters/E1420400001111/desk/ic/link", {"person_id": taro["id"], "card": BLANK, "back": "ic"})
    assert linked.status_code == 302 and "done=linked" in linked.headers["Location"]
    assert staff.post(f"{DESK}/scan", {"code": BLANK}, headers=JSON).json["message"] == "山田 太郎さん 退所しました"


def test_cards_are_linked_right_after_registration_at_the_desk(db, here, signed_in):
    staff = signed_in("staff", here)
    page = staff.get(f"{DESK}/register")
    response = staff.post(f"{DESK}/register", {"p0_name": "受付 花子", "p1_name": "受付 太郎"}, page=page)
    registered = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert registered.count('data-testid="card-none"') == 2 and "カードをリーダーにタッチ" in registered
    person_id = re.search(r'name="person_id" value="([^"]+)"', registered).group(1)
    linked = staff.post(f"{DESK}/ic/link", {"person_id": person_id, "card": SUICA, "back": "registered"})
    assert "/desk/registered/" in linked.headers["Location"] and "done=linked" in linked.headers["Location"]
    again = staff.get(linked.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="card-linked"' in again and "カードを登録しました" in again


def test_a_card_of_someone_else_is_refused_on_the_page_with_the_reason(db, here, signed_in):
    hanako, taro = _family(db, here, "山田 花子", "山田 太郎")["persons"]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    staff = signed_in("staff", here)
    refused = staff.post(f"{DESK}/ic/link", {"person_id": taro["id"], "card": SUICA})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "すでに別の方に登録されています" in page
    assert "already linked to someone else" in page  # the English under it, for a colleague


def test_a_lost_card_is_unlinked_from_the_ic_cards_page(db, here, signed_in):
    household = _family(db, here, "山田 花子")
    iccards.link(db, here["id"], household["persons"][0]["id"], SUICA, actor="desk")
    staff = signed_in("staff", here)
    page = staff.get(f"{DESK}/ic?number={household['display_number']}").get_data(as_text=True)
    assert 'data-testid="card-lost"' in page and "この避難所で登録済みのカード: 1枚" in page
    gone = staff.post(f"{DESK}/ic/unlink", {"person_id": household["persons"][0]["id"], "lost": "1"})
    assert "done=lost" in gone.headers["Location"]
    assert "紛失したカードの登録を解除しました" in staff.get(gone.headers["Location"]).get_data(as_text=True)
    assert staff.post(f"{DESK}/scan", {"code": SUICA}, headers=JSON).json["card"]["unknown"]


def test_the_ic_cards_page_is_for_the_shelters_own_staff(db, here, shelter_b, signed_in):
    household = _family(db, here, "山田 花子")
    other = signed_in("staff", shelter_b)
    assert other.get(f"{DESK}/ic").status_code == 403
    assert other.post(f"{DESK}/ic/link", {"person_id": household["persons"][0]["id"], "card": SUICA}).status_code == 403
    assert iccards.link_of(db, household["persons"][0]["id"]) is None


# --- the API ---

def test_the_api_links_lists_and_unlinks_cards(db, here, api):
    hanako, taro = _family(db, here, "山田 花子", "山田 太郎")["persons"]
    client = api("staff", here)
    made = client.post(f"/api/v1/shelters/{REF}/cards", json={"person_id": hanako["id"], "card": "01:2e:4c:81:9a:3b:5d:07"})
    assert made.status_code == 201 and made.json["card"]["person_id"] == hanako["id"]
    assert client.post(f"/api/v1/shelters/{REF}/cards", json={"person_id": hanako["id"], "card": SUICA}).status_code == 200
    taken = client.post(f"/api/v1/shelters/{REF}/cards", json={"person_id": taro["id"], "card": SUICA})
    assert taken.status_code == 409 and taken.json["error"]["code"] == "CardLinkedToSomeoneElse"
    assert "すでに別の方" in taken.json["error"]["message_ja"] and taken.json["error"]["message_en"]
    listed = client.get(f"/api/v1/shelters/{REF}/cards").json["cards"]
    assert [c["person_id"] for c in listed] == [hanako["id"]] and "card_hash" not in listed[0]
    assert SUICA not in client.get(f"/api/v1/shelters/{REF}/cards").get_data(as_text=True)
    gone = client.delete(f"/api/v1/shelters/{REF}/cards/{hanako['id']}?lost=true")
    assert gone.status_code == 200 and gone.json["unlinked"]["reason"] == "lost"
    assert client.delete(f"/api/v1/shelters/{REF}/cards/{hanako['id']}").status_code == 404


def test_a_tap_posted_to_the_check_in_route(db, here, api):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    client = api("staff", here)
    route = f"/api/v1/shelters/{REF}/checkins"
    unknown = client.post(route, json={"card": SUICA})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "UnknownCard"
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    out = client.post(route, json={"card": SUICA})
    assert out.status_code == 201 and out.json["card"]["action"] == "checked_out"
    assert out.json["card"]["message_en"] == "山田 花子: checked out" and out.json["household"]["status"] == "checked_out"
    meal = client.post(route, json={"card": SUICA, "pickup": "meal"})
    assert meal.status_code == 409 and meal.json["error"]["code"] == "NotCheckedIn"
    assert client.post(route, json={"card": SUICA}).json["card"]["action"] == "checked_in"
    meal = client.post(route, json={"card": SUICA, "pickup": "meal"}, headers={"Idempotency-Key": "tap-1"})
    assert meal.status_code == 201 and meal.json["card"]["count_today"] == 1
    again = client.post(route, json={"card": SUICA, "pickup": "meal"}, headers={"Idempotency-Key": "tap-1"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == meal.json
    assert iccards.person_pickups(db, hanako["id"])["meal"] == 1
    bad = client.post(route, json={"card": SUICA, "pickup": "dinner"})
    assert bad.status_code == 400 and bad.json["error"]["message_ja"]


def test_a_double_tap_through_the_api_answers_200_and_counts_once(app, db, here, api):
    app.config["CARD_REPEAT_SECONDS"] = 5
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    client = api("staff", here)
    first = client.post(f"/api/v1/shelters/{REF}/checkins", json={"card": SUICA, "pickup": "water"})
    second = client.post(f"/api/v1/shelters/{REF}/checkins", json={"card": SUICA, "pickup": "water"})
    assert (first.status_code, second.status_code) == (201, 200) and second.json["already"] is True
    assert iccards.person_pickups(db, hanako["id"])["water"] == 1


def test_the_needs_answer_counts_the_pickups(db, here, api):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    iccards.tap(db, here["id"], SUICA, actor="desk", mode="supplies")
    needs = api("staff", here).get(f"/api/v1/shelters/{REF}/needs").json
    assert {k["key"]: k["taps"] for k in needs["pickups"]["kinds"]}["supplies"] == 1


def test_the_api_document_describes_the_cards_routes(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert {"get", "post"} <= set(spec["paths"]["/shelters/{ref}/cards"])
    assert "delete" in spec["paths"]["/shelters/{ref}/cards/{person_id}"]
    body = spec["paths"]["/shelters/{ref}/checkins"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert any("card" in branch.get("required", []) for branch in body["oneOf"])
    assert {"200", "201", "400", "404", "409"} <= set(spec["paths"]["/shelters/{ref}/cards"]["post"]["responses"])


# --- a reader on the server ---

def test_a_reader_on_the_server_taps_once_per_card_laid_on_it_and_tells_the_desk(app, db, here):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    told = []
    reader = nfc_reader.SimulatedReader([SUICA, SUICA, SUICA, None, SUICA, BLANK])
    loop = nfc_reader.ReaderLoop(app, reader, shelter_ref=REF, notify=lambda sid, result: told.append((sid, result)))
    results = [loop.step(timeout=0.01) for _ in range(7)]
    # lying on the reader for three reads is one tap; taken off and laid again, another
    assert [r["card"]["action"] if r else None for r in results[:5]] == \
        ["checked_out", None, None, None, "checked_in"]
    assert results[5]["result"] == "unknown" and results[5]["card"]["unknown"] and "登録されていません" in results[5]["message_ja"]
    assert results[6] is None  # nothing on the reader
    assert [sid for sid, _ in told] == [here["id"]] * 3
    assert told[0][1]["message_ja"] == "山田 花子さん 退所しました" and told[0][1]["message_en"] == "山田 花子: checked out"
    assert db.execute("select actor from events where kind = 'card.tapped' limit 1").fetchone()[0] == "nfc-reader"


def test_the_servers_reader_words_reach_the_shelters_desk_screens_live(app, db, here, signed_in):
    hanako = _family(db, here, "山田 花子")["persons"][0]
    iccards.link(db, here["id"], hanako["id"], SUICA, actor="desk")
    staff = signed_in("staff", here)
    desk = live.socketio.test_client(app, flask_test_client=staff.client, auth={"rooms": [f"shelter:{REF}"]})
    desk.get_received()
    app.config.update(NFC_MODE="meal", NFC_SHELTER=REF)
    loop = nfc_reader.ReaderLoop(app, nfc_reader.SimulatedReader([SUICA]), shelter_ref=REF, mode="meal")
    loop.step(timeout=0.01)
    taps = [m["args"][0] for m in desk.get_received() if m["name"] == "card_tap"]
    assert taps and taps[0]["card"]["count_today"] == 1 and "食事を受け取りました" in taps[0]["message_ja"]


def test_the_reader_is_off_by_default_and_a_missing_one_never_stops_the_server(app, caplog):
    assert app.config["NFC_READER"] == "" and nfc_reader.start_if_configured(app) is None
    app.config.update(NFC_READER="usb:054c:06c1", NFC_SHELTER=REF)
    assert nfc_reader.start_if_configured(app) is None  # nfcpy absent, or no reader plugged in: logged
    assert "nfc reader" in caplog.text
    app.config.update(NFC_MODE="dinner")
    assert nfc_reader.start_if_configured(app, reader=nfc_reader.SimulatedReader()) is None
    app.config.update(NFC_MODE="inout")
    started = nfc_reader.start_if_configured(app, reader=nfc_reader.SimulatedReader())
    assert started is not None
    started.stop()


def test_nfcpy_is_an_optional_extra_and_a_fake_device_reads_through_the_same_interface(monkeypatch):
    import sys
    import types

    class Tag:
        identifier = bytes.fromhex(SUICA)

    class Frontend:
        def __init__(self, path):
            if path != "usb":
                raise IOError("no such device")

        def connect(self, rdwr, terminate):
            rdwr["on-connect"](Tag())
            return Tag()

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "nfc", types.SimpleNamespace(ContactlessFrontend=Frontend))
    assert nfc_reader.NfcpyReader("usb").read(0.1) == SUICA
    with pytest.raises(nfc_reader.ReaderError):
        nfc_reader.NfcpyReader("usb:999")
    monkeypatch.setitem(sys.modules, "nfc", None)  # not installed
    with pytest.raises(nfc_reader.ReaderError, match="shelter-ops\\[nfc\\]"):
        nfc_reader.NfcpyReader("usb")
