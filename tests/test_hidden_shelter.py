"""One rule for a hidden shelter (shelters.public_shelter): every public address answers as for a
shelter that does not exist, and nothing public names it (#11 item 5)."""
import pytest

from shelter_ops.domain import shelters

from checkin_helpers import DOOR_FORM
from conftest import insert_shelter

HIDDEN, UNKNOWN = "E1420400009111", "E1420400009211"
PUBLIC_ADDRESSES = ["/door/{ref}", "/door/{ref}/qr.svg", "/public/shelters/{ref}/display",
                    "/residents/{ref}/display", "/residents/{ref}/requests"]
LISTINGS = ["/public/", "/public/status.json", "/public/status.csv", "/public/status.geojson"]


@pytest.fixture
def refuge(db):
    """An open shelter HQ keeps off every public output (a DV refuge), and an open public one nearby."""
    insert_shelter(db, "E1420400001111", "第一小学校", state="open")
    return insert_shelter(db, HIDDEN, "秘密の避難所", state="open", hidden=1)


def _without_ref(response, ref):
    return response.status_code, response.get_data(as_text=True).replace(ref, "REF")


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_a_hidden_shelters_public_addresses_answer_exactly_like_an_unknown_one(app, refuge, address):
    phone = app.test_client()
    hidden = phone.get(address.format(ref=HIDDEN))
    unknown = phone.get(address.format(ref=UNKNOWN))
    assert hidden.status_code == 404
    assert _without_ref(hidden, HIDDEN) == _without_ref(unknown, UNKNOWN)
    assert "秘密の避難所" not in hidden.get_data(as_text=True)


def test_a_hidden_shelters_door_is_found_by_its_id_no_more_than_by_its_kyotsu_id(app, refuge):
    assert app.test_client().get(f"/door/{refuge['id']}").status_code == 404


def test_a_hidden_shelters_door_takes_no_registration(app, db, refuge):
    response = app.test_client().post(f"/door/{HIDDEN}", data=DOOR_FORM)
    assert response.status_code in (400, 404)  # no page, so no CSRF token to be had either
    assert db.execute("select count(*) from households where shelter_id = ?", [refuge["id"]]).fetchone()[0] == 0


@pytest.mark.parametrize("url", LISTINGS)
def test_no_public_listing_names_a_hidden_shelter(app, refuge, url):
    body = app.test_client().get(url).get_data(as_text=True)
    assert "E1420400001111" in body
    assert HIDDEN not in body and "秘密の避難所" not in body and refuge["id"] not in body


def test_a_closed_doors_suggestions_never_lead_to_a_hidden_shelter(app, db, refuge):
    closed = insert_shelter(db, "E1420400003111", "閉鎖中の学校", state="standby")
    body = app.test_client().get(f"/door/{closed['kyotsu_id']}").get_data(as_text=True)
    assert "第一小学校" in body and "秘密の避難所" not in body


def test_shown_again_the_door_and_the_display_come_back(app, db, refuge):
    shelters.set_hidden(db, refuge["id"], False, actor="system")
    phone = app.test_client()
    assert phone.get(f"/door/{HIDDEN}").status_code == 200
    assert phone.get(f"/public/shelters/{HIDDEN}/display").status_code == 200
    assert "秘密の避難所" in phone.get("/public/status.json").get_data(as_text=True)


def test_staff_still_work_on_their_hidden_shelter(db, refuge, signed_in):
    lead = signed_in("lead", refuge)
    assert lead.get(f"/shelters/{HIDDEN}").status_code == 200
    assert lead.get(f"/shelters/{HIDDEN}/occupancy").status_code == 200
