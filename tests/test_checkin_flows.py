"""Check-in end to end over HTTP: the door on a phone, the desk on a tablet, paper, head counts, movements."""
import base64
import io
import json
import re

import pytest

from shelter_ops.domain import households, prereg

from checkin_helpers import DOOR_FORM, number_on, open_shelter, photo_of_qr
from conftest import csrf_from, insert_shelter

DOOR = "/door/E1420400001111"
DESK = "/shelters/E1420400001111/desk"


def door_post(client, data, url=DOOR, **kwargs):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page)}, **kwargs)


def present(db, shelter):
    return households.present_counts(db).get(shelter["id"], {}).get("total", 0)


def test_door_registration_is_pending_until_the_desk_scans_it(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    phone = app.test_client()
    response = door_post(phone, DOOR_FORM)
    assert response.status_code == 302
    page = phone.get(response.headers["Location"]).get_data(as_text=True)
    number = number_on(page)
    assert "<svg" in page and "受付で" in page
    assert present(db, shelter_a) == 0

    staff = signed_in("staff", shelter_a)
    result = staff.post(f"{DESK}/scan", {"code": number}, headers={"Accept": "application/json"}).json
    assert result["result"] == "ok" and result["household"]["people"] == 2
    assert present(db, shelter_a) == 2
    again = staff.post(f"{DESK}/scan", {"code": number}, headers={"Accept": "application/json"}).json
    assert again["result"] == "already"
    assert present(db, shelter_a) == 2
    # the phone's page now says so
    assert "入所しました" in phone.get(response.headers["Location"]).get_data(as_text=True)


def test_the_desk_says_checked_in_already_or_not_recognised_in_words(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "A"}], actor="door", source="door")
    staff = signed_in("staff", shelter_a)
    page = staff.post(f"{DESK}/scan", {"code": household["reception_number"]}).get_data(as_text=True)
    assert "result-ok" in page and "入所しました" in page
    page = staff.post(f"{DESK}/scan", {"code": household["reception_number"]}).get_data(as_text=True)
    assert "result-already" in page and "すでに入所済み" in page
    response = staff.post(f"{DESK}/scan", {"code": "ABCD-EFG"})
    assert response.status_code == 400
    assert "result-unknown" in response.get_data(as_text=True) and "読み取れません" in response.get_data(as_text=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed, angle, size", [(1, 17, (1600, 1200)), (2, 45, (4032, 3024)), (3, -80, (1200, 1600)),
                                               (4, 3, (800, 600))])
def test_a_photo_of_the_qr_is_decoded_by_the_server(db, shelter_a, signed_in, seed, angle, size):
    open_shelter(db, shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "写真 太郎"}], actor="door", source="door")
    staff = signed_in("staff", shelter_a)
    photo = photo_of_qr(household["reception_number"], seed=seed, angle=angle, size=size)
    result = staff.post(f"{DESK}/scan", {"photo": (io.BytesIO(photo), "IMG_0001.jpg")},
                        headers={"Accept": "application/json"}, content_type="multipart/form-data").json
    assert result["result"] == "ok", result
    assert present(db, shelter_a) == 1


def test_a_photo_without_a_qr_is_not_recognised(db, shelter_a, signed_in):
    from PIL import Image

    open_shelter(db, shelter_a)
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(blank, format="PNG")
    staff = signed_in("staff", shelter_a)
    result = staff.post(f"{DESK}/scan", {"photo": (io.BytesIO(blank.getvalue()), "x.png")},
                        headers={"Accept": "application/json"}, content_type="multipart/form-data").json
    assert result["result"] == "unknown" and "QR" in result["message"]


@pytest.mark.slow
def test_home_preregistration_qr_checks_in_at_a_second_server_sharing_only_the_key(tmp_path, signed_in):
    from shelter_ops import create_app
    from shelter_ops.db import connect
    from shelter_ops.domain import accounts

    from conftest import PASSWORD, Session

    key = base64.b64encode(b"k" * 32).decode()
    home = create_app({"DB": str(tmp_path / "home.sqlite"), "SECRET_KEY": "a", "DEMO": False, "TESTING": True,
                       "PREREG_KEY": key})
    browser = home.test_client()
    response = door_post(browser, {**DOOR_FORM, "p1_non_disclosure": "on"}, url="/prereg")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<svg" in page
    sealed = page.split('data-sealed="')[1].split('"')[0]
    assert sealed.startswith(prereg.PREFIX) and "鎌倉" not in sealed

    shelter_server = create_app({"DB": str(tmp_path / "shelter.sqlite"), "SECRET_KEY": "b", "DEMO": False,
                                 "TESTING": True, "PREREG_KEY": key})
    db = connect(shelter_server.config["DB"])
    try:
        shelter = insert_shelter(db, "E1420400005555", "第五小学校", state="open")
        accounts.add_user(db, "desk1", PASSWORD, "staff", shelter_id=shelter["id"])
        staff = Session(shelter_server, "desk1").login()
        result = staff.post("/shelters/E1420400005555/desk/scan", {"code": sealed},
                            headers={"Accept": "application/json"}).json
        assert result["result"] == "ok" and result["household"]["people"] == 2
        assert result["household"]["names"] == ["鎌倉 花子"]  # the 非公開 person is not shown to staff
        assert staff.post("/shelters/E1420400005555/desk/scan", {"code": sealed},
                          headers={"Accept": "application/json"}).json["result"] == "already"
        assert households.present_counts(db)[shelter["id"]]["total"] == 2
    finally:
        db.close()


def test_a_tampered_or_truncated_preregistration_qr_is_refused_at_the_desk(tmp_path, db, shelter_a, signed_in):
    key = base64.b64encode(b"k" * 32).decode()

    open_shelter(db, shelter_a)
    sealed = prereg.seal(key, {}, [{"name": "X"}])
    for bad in (sealed[:-9], sealed[:40] + ("A" if sealed[40] != "A" else "B") + sealed[41:]):
        try:
            households.check_in(db, shelter_a["id"], bad, actor="t", key=key)
        except prereg.Invalid as refused:
            assert refused.ja and refused.en
        else:
            raise AssertionError("a damaged card was accepted")
    assert present(db, shelter_a) == 0


def test_a_closed_shelters_door_says_where_to_go(app, db, shelter_a):
    insert_shelter(db, "E1420400007777", "開いている中学校", state="open")
    insert_shelter(db, "E1420400008888", "非公開の避難所", state="open", hidden=1)
    page = app.test_client().get(DOOR).get_data(as_text=True)
    assert "開設していません" in page and "開いている中学校" in page
    assert "非公開の避難所" not in page
    assert "<form" not in page.split("<main>")[1]


def test_the_door_is_rate_limited_per_phone_not_per_address(app, db, shelter_a):
    app.config["DOOR_REGISTRATIONS_PER_10_MIN"] = 3
    open_shelter(db, shelter_a)
    phone = app.test_client()
    statuses = [door_post(phone, DOOR_FORM, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    refused = door_post(phone, DOOR_FORM, environ_base={"REMOTE_ADDR": "10.0.0.9"},
                        headers={"Accept-Language": "en"})
    assert "Too many" in refused.get_data(as_text=True)
    # another phone on the same Wi-Fi (the same address) is not refused for its neighbour
    assert door_post(app.test_client(), DOOR_FORM, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302


def test_the_door_form_works_in_english(app, db, shelter_a):
    open_shelter(db, shelter_a)
    page = app.test_client().get(DOOR, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Write your household once" in page and "Never tell anyone" in page


def test_desk_registration_checks_in_at_once(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    response = staff.post(f"{DESK}/register", DOOR_FORM)
    assert response.status_code == 302
    assert number_on(staff.get(response.headers["Location"]).get_data(as_text=True))
    assert present(db, shelter_a) == 2


def test_a_paper_card_is_keyed_in_by_its_number(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    lead = signed_in("lead", shelter_a)
    page = lead.post("/shelters/E1420400001111/desk/cards", {"count": "3"}).get_data(as_text=True)
    numbers = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{3})</li>", page)
    assert len(numbers) == 3
    response = lead.post(f"{DESK}/register?paper=1", {**DOOR_FORM, "paper": "1",
                                                       "reception_number": numbers[0].lower()})
    assert response.status_code == 302
    household = households.by_number(db, numbers[0].replace("-", ""))
    assert household["source"] == "paper" and household["status"] == "checked_in"


def test_staying_at_home_is_registered_but_not_counted(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    assert staff.post(f"{DESK}/register?staying=home", {**DOOR_FORM, "staying": "home"}).status_code == 302
    assert present(db, shelter_a) == 0
    assert households.outside_counts(db)[shelter_a["id"]] == {"home": 2}
    assert "在宅" in staff.get(f"{DESK}/roster").get_data(as_text=True)


def test_count_only_taps_join_the_occupancy(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    for _ in range(3):
        staff.post(f"{DESK}/count", {"sex": "female", "age_band": "elderly", "delta": "1"})
    result = staff.post(f"{DESK}/count", {"sex": "male", "age_band": "child", "delta": "1"},
                        headers={"Accept": "application/json"}).json
    assert result["total"] == 4 and result["present"] == 4
    page = staff.get("/shelters/E1420400001111").get_data(as_text=True)
    assert 'data-testid="present">4<' in page


def test_roster_ticks_are_entered_as_check_outs_at_once(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    staff.post(f"{DESK}/register", DOOR_FORM)
    staff.post(f"{DESK}/register", {**DOOR_FORM, "p0_name": "別 世帯"})
    assert present(db, shelter_a) == 4
    rows = households.roster(db, shelter_a["id"])
    ticked = [rows[0]["persons"][0]["id"], rows[1]["persons"][0]["id"], rows[1]["persons"][1]["id"]]
    response = staff.post(f"{DESK}/checkout", {"person": ticked, "source": "paper"})
    assert response.status_code == 302
    assert present(db, shelter_a) == 1
    assert households.get(db, rows[1]["id"])["status"] == "checked_out"
    events = db.execute("select payload from events where kind = 'household.checked_out'").fetchall()
    assert all(json.loads(p)["source"] == "paper" for (p,) in events)


def test_away_overnight_and_back_from_the_roster(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    staff.post(f"{DESK}/register", DOOR_FORM)
    household = households.roster(db, shelter_a["id"])[0]
    staff.post(f"/shelters/E1420400001111/desk/households/{household['id']}/away", {"until": "2026-11-23"})
    assert {p["status"] for p in households.get(db, household["id"])["persons"]} == {"away"}
    assert present(db, shelter_a) == 2
    assert "外泊中" in staff.get(f"{DESK}/roster").get_data(as_text=True)
    staff.post(f"/shelters/E1420400001111/desk/households/{household['id']}/back")
    assert {p["status"] for p in households.get(db, household["id"])["persons"]} == {"in"}


def test_transfer_from_the_roster_moves_the_household(db, shelter_a, shelter_b, signed_in):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    lead = signed_in("lead", shelter_a)
    lead.post(f"{DESK}/register", DOOR_FORM)
    household = households.roster(db, shelter_a["id"])[0]
    response = lead.post(f"/shelters/E1420400001111/desk/households/{household['id']}/transfer",
                         {"to": shelter_b["id"]})
    assert response.status_code == 302
    assert present(db, shelter_a) == 0 and present(db, shelter_b) == 2
    assert households.get(db, household["id"])["shelter_id"] == shelter_b["id"]


def test_non_disclosure_never_shown_to_staff_nor_in_public_output(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    form = {**DOOR_FORM, "p1_name": "秘匿 さくら", "p1_non_disclosure": "on"}
    response = door_post(app.test_client(), form)
    done = app.test_client().get(response.headers["Location"]).get_data(as_text=True)
    assert "秘匿" not in done and "鎌倉 花子" not in done  # the phone page shows only number and QR
    number = number_on(done)
    result = staff.post(f"{DESK}/scan", {"code": number}, headers={"Accept": "application/json"}).json
    assert "秘匿 さくら" not in json.dumps(result, ensure_ascii=False)
    assert "秘匿" not in staff.get(f"{DESK}/roster").get_data(as_text=True)
    assert "在宅酸素" not in staff.get(f"{DESK}/roster").get_data(as_text=True)  # sensitive: lead/hq only
    lead = signed_in("lead", shelter_a)
    lead_roster = lead.get(f"{DESK}/roster").get_data(as_text=True)
    assert "秘匿 さくら" in lead_roster and "医療機器" in lead_roster
    public = app.test_client()
    for url in ("/public/", "/public/status.json", "/public/status.csv", DOOR):
        assert "秘匿" not in public.get(url).get_data(as_text=True), url


def test_desk_screens_need_sign_in_and_the_own_shelter(app, db, shelter_a, shelter_b, signed_in):
    assert app.test_client().get(DESK).status_code == 302
    other = signed_in("staff", shelter_b)
    assert other.get(DESK).status_code == 403


def test_the_desk_and_door_link_from_the_shelter_screen(db, shelter_a, signed_in):
    page = signed_in("staff", shelter_a).get("/shelters/E1420400001111").get_data(as_text=True)
    assert "/shelters/E1420400001111/desk" in page and "/shelters/E1420400001111/print" in page


def test_the_door_poster_qr_points_at_the_door_form(app, db, shelter_a):
    import zxingcpp
    from PIL import Image

    open_shelter(db, shelter_a)
    from shelter_ops.web.door import qr_png

    url = app.config["PUBLIC_URL"].rstrip("/") + DOOR
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))))
    assert decoded[0].text == url
    assert app.test_client().get(DOOR + "/qr.svg").get_data(as_text=True).startswith("<")
    poster = app.test_client().get(DOOR + "/poster")  # the old address leads to the printed poster
    assert poster.status_code == 302 and poster.headers["Location"].endswith("/print/poster.pdf")


def test_sending_the_door_form_twice_registers_once(app, db, shelter_a):
    open_shelter(db, shelter_a)
    phone = app.test_client()
    page = phone.get(DOOR)
    form_id = re.search(r'name="form_id" value="([0-9a-f]{32})"', page.get_data(as_text=True)).group(1)
    data = {**DOOR_FORM, "form_id": form_id, "csrf_token": csrf_from(page)}
    first = phone.post(DOOR, data=data)
    second = phone.post(DOOR, data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert db.execute("select count(*) from households").fetchone()[0] == 1


def test_a_refused_door_form_keeps_what_was_typed(app, db, shelter_a):
    open_shelter(db, shelter_a)
    response = door_post(app.test_client(), {**DOOR_FORM, "p4_name": "五人目", "p4_age": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "年齢は数字で" in page
    assert 'value="五人目"' in page and 'value="鎌倉 花子"' in page


def test_a_form_refused_for_a_typo_does_not_use_up_the_rate_limit(app, db, shelter_a):
    app.config["DOOR_REGISTRATIONS_PER_10_MIN"] = 2
    open_shelter(db, shelter_a)
    phone = app.test_client()
    where = {"REMOTE_ADDR": "10.0.0.11"}
    typos = [door_post(phone, {**DOOR_FORM, "p0_age": "abc"}, environ_base=where).status_code for _ in range(5)]
    assert typos == [400] * 5
    assert [door_post(phone, DOOR_FORM, environ_base=where).status_code for _ in range(3)] == [302, 302, 429]


def test_a_household_moving_to_its_car_leaves_the_occupancy_but_stays_registered(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    staff.post(f"{DESK}/register", DOOR_FORM)
    household = households.roster(db, shelter_a["id"])[0]
    staff.post(f"/shelters/E1420400001111/desk/households/{household['id']}/update", {"staying": "car"})
    assert present(db, shelter_a) == 0
    assert households.outside_counts(db)[shelter_a["id"]] == {"car": 2}
