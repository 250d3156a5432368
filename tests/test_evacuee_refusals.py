"""The refusals an evacuee can still meet after the form itself (a shelter that closed meanwhile, a double tap
still saving, too many registrations or requests, a request too long) come in the evacuee's language, with the
Japanese below for the staff."""
import pytest

from shelter_ops.domain import households
from shelter_ops.domain.errors import Conflict

from conftest import csrf_from, insert_shelter

REF = "E1420400001111"


@pytest.fixture
def open_shelter(db):
    return insert_shelter(db, REF, "第一小学校", state="open")


@pytest.fixture
def limits_forgotten():
    """The rate limits live in the process: forget this test's counts afterwards."""
    from shelter_ops.security import limiter

    yield
    limiter.reset()


def page_of(response):
    return response.get_data(as_text=True)


def test_a_shelter_that_is_not_open_refuses_in_every_language(db):
    shelter = insert_shelter(db, REF, "第一小学校", state="standby")
    with pytest.raises(Conflict) as refused:
        households.register(db, shelter["id"], {}, [{"name": "Nguyen Van A"}], actor="door", source="door")
    assert refused.value.code == "ShelterNotOpen"
    assert refused.value.message("vi") == "第一小学校 hiện không mở cửa, không thể tiếp nhận ai."
    assert refused.value.ja == "第一小学校は現在開設していないため受付できません。"
    assert refused.value.en == "第一小学校 is not open; it cannot check anyone in."


def test_a_request_without_words_or_too_long_is_refused_in_the_residents_language(app, open_shelter):
    client = app.test_client()
    form = client.get(f"/residents/{REF}/requests?lang=vi")
    empty = client.post(f"/residents/{REF}/requests?lang=vi", data={"category": "food", "text": "   ",
                                                                    "csrf_token": csrf_from(form)})
    assert empty.status_code == 400
    assert "Hãy viết điều bạn cần." in page_of(empty)
    assert "要望の内容を書いてください。" in page_of(empty)  # and the Japanese below, for the staff
    long_name = client.post(f"/residents/{REF}/requests?lang=ko", data={
        "category": "food", "text": "毛布", "name": "가" * 101, "csrf_token": csrf_from(form)})
    assert long_name.status_code == 400 and "이름은 최대 100자까지입니다." in page_of(long_name)


def test_too_many_requests_from_one_phone_are_refused_in_its_language(app, open_shelter):
    app.config["RESIDENT_REQUEST_LIMIT"] = 1
    client = app.test_client()
    form = client.get(f"/residents/{REF}/requests?lang=id")
    data = {"category": "food", "text": "air minum", "csrf_token": csrf_from(form)}
    assert client.post(f"/residents/{REF}/requests?lang=id", data=data).status_code == 302
    refused = client.post(f"/residents/{REF}/requests?lang=id", data=data)
    assert refused.status_code == 429
    assert "Terlalu banyak permintaan dikirim. Tunggu sekitar 60 menit" in page_of(refused)


def test_too_many_registrations_from_one_phone_are_refused_in_its_language(app, open_shelter, limits_forgotten):
    app.config["DOOR_REGISTRATIONS_PER_10_MIN"] = 1
    client = app.test_client()
    for expected in (302, 429):
        form = client.get(f"/door/{REF}?lang=pt-BR")
        response = client.post(f"/door/{REF}?lang=pt-BR", data={"p0_name": "Silva", "csrf_token": csrf_from(form)})
        assert response.status_code == expected
    assert "Muitos cadastros feitos por este aparelho. Espere cerca de 10 min" in page_of(response)


def test_a_second_tap_while_the_first_is_still_saving_is_told_in_the_evacuees_language(app, db, open_shelter,
                                                                                        monkeypatch):
    from shelter_ops.web import once

    monkeypatch.setattr(once, "WAIT_SECONDS", 0)
    client = app.test_client()
    form = client.get(f"/door/{REF}?lang=ne")
    token = "a-first-tap-still-running"
    db.execute("insert into form_tokens (token, user_id, path, at) values (?, null, ?, '2099-01-01T00:00:00')",
               [token, f"/door/{REF}"])
    db.commit()
    response = client.post(f"/door/{REF}?lang=ne", data={"p0_name": "Gurung", "_once": token,
                                                         "csrf_token": csrf_from(form)})
    assert response.status_code == 409
    assert "पहिलो थिचाइ अझै सेभ हुँदैछ।" in page_of(response)
    assert "前の送信をまだ処理しています。" in page_of(response)


def test_every_new_refusal_has_its_text_in_every_catalog():
    from shelter_ops import languages
    from shelter_ops.languages import LANGUAGES

    ids = ["%(name)s is not open; it cannot check anyone in.",
           "The first tap is still being saved. Reload the page in a moment.",
           "Too many registrations from this device. Wait about %(n)s min, or ask at the desk.",
           "Too many requests sent. Wait about %(n)s minutes, or tell the staff at reception.",
           "Write what you need.", "Your request can have at most %(n)s characters.",
           "The name can have at most %(n)s characters.", "The place can have at most %(n)s characters."]
    for language in LANGUAGES:
        for msgid in ids:
            text = languages.text(language.code, msgid, {"name": "X", "n": 7})
            assert language.code == "en" or text != msgid.replace("%(name)s", "X").replace("%(n)s", "7"), \
                (language.code, msgid)
