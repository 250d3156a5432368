"""Home pre-registration QR: sealed with the city's key, read by any server holding the key."""
import base64

import pytest
from hypothesis import given, settings, strategies as st

from shelter_ops.domain import prereg
from shelter_ops.domain.errors import Invalid

KEY = base64.b64encode(bytes(range(32))).decode()
FAMILY = ({"address": "鎌倉市御成町18-10", "phone": "0467-23-3000", "consent": "family", "staying": "shelter"},
          [{"name": "鎌倉 花子", "kana": "かまくら はなこ", "sex": "female", "birth_date": "1950-04-01",
            "care_codes": ["NUR", "MED"], "medical_devices": "在宅酸素", "allergens": ["卵", "そば"]},
           {"name": "鎌倉 太郎", "sex": "male", "age": 8, "non_disclosure": True}])

QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_a_sealed_card_opens_with_the_same_key():
    text = prereg.seal(KEY, *FAMILY)
    household, persons = prereg.open_sealed(KEY, text)
    assert household["address"] == FAMILY[0]["address"]
    assert persons[0]["care_codes"] == ["NUR", "MED"]
    assert persons[1]["non_disclosure"] is True


def test_the_qr_text_stays_in_alphanumeric_mode_and_shows_no_name():
    text = prereg.seal(KEY, *FAMILY)
    assert text.startswith(prereg.PREFIX)
    assert set(text) <= QR_ALPHANUMERIC
    assert "=" not in text
    assert "KAMAKURA" not in text and "鎌倉" not in text


def test_another_citys_key_is_refused():
    text = prereg.seal(KEY, *FAMILY)
    other = prereg.generate_key()
    with pytest.raises(Invalid) as refused:
        prereg.open_sealed(other, text)
    assert refused.value.ja and refused.value.en


@pytest.mark.parametrize("position", [5, 20, 60, -3])
def test_a_tampered_card_is_refused(position):
    text = prereg.seal(KEY, *FAMILY)
    ch = text[position]
    tampered = text[:position] + ("A" if ch != "A" else "B") + text[position + 1:]
    with pytest.raises(Invalid):
        prereg.open_sealed(KEY, tampered)


@pytest.mark.parametrize("keep", [10, 30, 0.5, 0.9, -1])
def test_a_truncated_scan_is_refused(keep):
    text = prereg.seal(KEY, *FAMILY)
    cut = text[:int(len(text) * keep)] if isinstance(keep, float) else text[:keep]
    with pytest.raises(Invalid):
        prereg.open_sealed(KEY, cut)


def test_no_key_configured_is_refused_clearly():
    text = prereg.seal(KEY, *FAMILY)
    with pytest.raises(Invalid) as refused:
        prereg.open_sealed("", text)
    assert "PREREG_KEY" in refused.value.en


person = st.fixed_dictionaries({"name": st.text(min_size=1, max_size=20)}, optional={
    "kana": st.text(min_size=1, max_size=20), "sex": st.sampled_from(["male", "female", "unanswered"]),
    "age": st.integers(1, 110), "care_codes": st.lists(st.sampled_from(["ILL", "MED", "FOR"]), min_size=1),
    "notes": st.text(min_size=1, max_size=100)})
household = st.fixed_dictionaries({}, optional={"address": st.text(min_size=1, max_size=60),
                                                "phone": st.text(alphabet="0123456789-", min_size=1, max_size=14)})


@settings(max_examples=60)
@given(household, st.lists(person, min_size=1, max_size=6))
def test_seal_and_open_round_trip(household_data, persons):
    text = prereg.seal(KEY, household_data, persons)
    assert set(text) <= QR_ALPHANUMERIC
    assert prereg.open_sealed(KEY, text) == (household_data, persons)
