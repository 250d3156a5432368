"""The card's fields checked (避難者カード): text, choices, lists, ages; and a card split into the facts an
event carries openly and the personal ones it seals."""
import json
import re
import unicodedata
from datetime import date

from .. import clock
from ..errors import N_, Conflict, Invalid
from ..text import clean
from .vocabulary import AGE_BANDS, ALLERGENS, CARE_CODES, CONSENT, HOME_DAMAGE, PERSONAL_COLUMNS, SEXES, STAYING

def clean_text(value, limit=200):
    if value is None:
        return None
    if isinstance(value, (list, dict, tuple, set)):
        raise Invalid("文字で入力してください。", "Enter text here, not a list.")
    text = clean(value, fold=True, single_line=limit <= 200)
    return text[:limit] or None


def clean_choice(value, vocabulary, default, what_ja, what_en):
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in vocabulary:
        raise Invalid(f"{what_ja}の値が正しくありません: {value}", f"Unknown {what_en}: {value}")
    return value


def _list(value):
    if value is None or value == "":
        return []
    if not isinstance(value, (str, list, tuple)):
        raise Invalid("一覧の形が正しくありません。", "Expected a list.")
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
            value = loaded if isinstance(loaded, list) else [value]
        except ValueError:
            value = re.split(r"[,\s、]+", value)
    if not all(isinstance(v, (str, int)) for v in value):
        raise Invalid("一覧の形が正しくありません。", "Expected a list of words.")
    return [str(v).strip() for v in value if str(v).strip()]


def age_band(age):
    if age is None:
        return "unknown"
    if age < 6:
        return "infant"
    if age < 18:
        return "child"
    if age < 65:
        return "adult"
    return "elderly"


def _age_from(birth_date, today=None):
    today = today or clock.local_date()
    born = date.fromisoformat(birth_date)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_of(person, today=None):
    """A person's age today: from the date of birth where known, else the age given; None if neither."""
    if person.get("birth_date"):
        try:
            return _age_from(str(person["birth_date"])[:10], today)
        except ValueError:
            pass
    try:
        return int(person["age"]) if person.get("age") not in (None, "") else None
    except (TypeError, ValueError):
        return None


def as_record(data, what_ja, what_en):
    if data is None:
        return {}
    if not hasattr(data, "get") or isinstance(data, (str, bytes)):
        raise Invalid(f"{what_ja}の形が正しくありません。", f"The {what_en} must be an object.")
    return data


def clean_household(data):
    """The household fields of a form or a JSON record, checked. :raise Invalid:"""
    data = as_record(data, "世帯", "household")
    out = {
        "staying": clean_choice(data.get("staying"), STAYING, "shelter", "滞在場所", "place of stay"),
        "consent": clean_choice(data.get("consent"), CONSENT, "none", "安否確認の同意", "consent"),
        "home_damage": clean_choice(data.get("home_damage"), HOME_DAMAGE, None, "住家の被害", "home damage"),
        "zone_id": clean_text(data.get("zone_id"), 64),
    }
    for key in ("address", "postcode", "phone", "emergency_contact", "pets", "vehicle"):
        out[key] = clean_text(data.get(key))
    return out


def clean_person(data):
    """One person's fields, checked. :raise Invalid:"""
    data = as_record(data, "人", "person")
    out = {key: clean_text(data.get(key)) for key in ("name", "kana", "relation", "nationality", "language",
                                                 "injury_illness", "medication", "medical_devices", "diet")}
    out["notes"] = clean_text(data.get("notes"), 1000)
    out["allergens_other"] = clean_text(data.get("allergens_other"))
    out["sex"] = clean_choice(data.get("sex"), SEXES, "unanswered", "性別", "sex")
    birth = clean_text(data.get("birth_date"), 10)
    age = data.get("age")
    if isinstance(age, (list, dict, bool, float)):
        raise Invalid(N_("Enter the age as a whole number."), field="age")
    if birth:
        try:
            age_from_birth = _age_from(birth)
        except ValueError:
            raise Invalid(N_("Enter the date of birth like 2001-04-01: %(birth)s"), params={"birth": birth},
                          field="birth_date") from None
        if not 0 <= age_from_birth <= 130:
            raise Invalid(N_("The date of birth is not plausible: %(birth)s"), params={"birth": birth},
                          field="birth_date")
        age = age_from_birth
    elif age not in (None, ""):
        try:
            age = int(unicodedata.normalize("NFKC", str(age)).strip())
        except ValueError:
            raise Invalid(N_("Enter the age as a number: %(age)s"), params={"age": age}, field="age") from None
        if not 0 <= age <= 130:
            raise Invalid(N_("The age is not plausible: %(age)s"), params={"age": age}, field="age")
    else:
        age = None
    out["birth_date"] = birth
    out["age"] = age
    out["age_band"] = age_band(age)
    care = sorted(set(c.upper() for c in _list(data.get("care_codes"))))
    unknown = [c for c in care if c not in CARE_CODES]
    if unknown:
        raise Invalid(f"配慮事項のコードが正しくありません: {' '.join(unknown)}",
                      f"Unknown care-need codes: {' '.join(unknown)}")
    allergens = _list(data.get("allergens"))
    unknown = [a for a in allergens if a not in ALLERGENS]
    if unknown:  # anything beyond the seven goes to "other"
        out["allergens_other"] = "、".join(filter(None, [out["allergens_other"], *unknown]))
    allergens = [a for a in ALLERGENS if a in allergens]
    if (allergens or out["allergens_other"]) and "ALG" not in care:
        care = sorted(care + ["ALG"])
    if out["medical_devices"] and "MED" not in care:
        care = sorted(care + ["MED"])
    out["care_codes"] = json.dumps(care)
    out["allergens"] = json.dumps(allergens, ensure_ascii=False)
    out["non_disclosure"] = 1 if data.get("non_disclosure") in (True, 1, "1", "on", "true", "yes") else 0
    return out


def decode_person(person):
    person = dict(person)
    for key in ("care_codes", "allergens"):
        if key in person:
            person[key] = json.loads(person[key] or "[]")
    person["non_disclosure"] = bool(person.get("non_disclosure"))
    return person


def split_household(fields):
    """(open, personal) halves of a checked household: the personal half is sealed in the event."""
    personal = {k: fields.get(k) for k in PERSONAL_COLUMNS["households"] if fields.get(k) is not None}
    return {k: v for k, v in fields.items() if k not in PERSONAL_COLUMNS["households"]}, personal


def split_person(person):
    """(open, personal) halves of a checked person: sex, age band and 非公開 stay open for the counts."""
    personal = {k: person.get(k) for k in PERSONAL_COLUMNS["persons"] if person.get(k) is not None}
    return {k: v for k, v in person.items() if k not in PERSONAL_COLUMNS["persons"]}, personal


def require_open(shelter):
    if shelter["state"] != "open":  # an evacuee can meet it at the door: a message id, in every language
        raise Conflict(N_("%(name)s is not open; it cannot check anyone in."), params={"name": shelter["name"]},
                       code="ShelterNotOpen")

