"""Households and persons (避難者カード): registration, check-in, movements, the roster, head counts."""
import json
import re
import unicodedata
from datetime import date

from sqlite_utils.migrations import Migrations

from ..db import event_seen, fetch_all, fetch_one, new_id, now, record_event, write
from . import clock, codes, prereg
from .errors import N_, Conflict, Invalid, NotFound

migrations = Migrations("households")


@migrations()
def create_households(db):
    db["households"].create(
        {
            "id": str,
            "reception_number": str,  # 受付番号
            "shelter_id": str,
            "status": str,  # HOUSEHOLD_STATUSES
            "staying": str,  # STAYING: only "shelter" counts in occupancy
            "zone_id": str,
            "address": str,
            "postcode": str,
            "phone": str,
            "emergency_contact": str,  # 緊急連絡先 outside the area
            "home_damage": str,  # HOME_DAMAGE
            "pets": str,  # free text: kind, count, with them or not
            "vehicle": str,  # for 車中泊: plate, model, colour
            "consent": str,  # 安否確認 CONSENT, default none
            "source": str,  # SOURCES
            "prereg_ref": str,  # fingerprint of the sealed home card it came from
            "transferred_from": str,  # shelter id before the last transfer
            "registered_at": str,
            "checked_in_at": str,
            "checked_out_at": str,
            "updated_at": str,
            "created_by": str,
        },
        pk="id",
        defaults={"status": "pending", "staying": "shelter", "consent": "none", "source": "desk"},
    )
    db["households"].create_index(["reception_number"], unique=True)
    db["households"].create_index(["shelter_id", "status"])
    db["households"].create_index(["prereg_ref"])
    db["persons"].create(
        {
            "id": str,
            "household_id": str,
            "position": int,
            "name": str,  # 氏名
            "kana": str,  # ふりがな
            "sex": str,  # SEXES
            "birth_date": str,  # YYYY-MM-DD
            "age": int,
            "age_band": str,  # AGE_BANDS: kept for statistics after the purge
            "relation": str,  # 続柄
            "nationality": str,
            "language": str,
            "injury_illness": str,
            "care_codes": str,  # JSON list of CARE_CODES
            "allergens": str,  # JSON list of ALLERGENS
            "allergens_other": str,
            "medication": str,
            "medical_devices": str,
            "diet": str,
            "notes": str,
            "non_disclosure": int,  # 非公開 (DV etc.): overrides every consent
            "status": str,  # PERSON_STATUSES
            "away_until": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("household_id", "households", "id")],
        defaults={"status": "in", "non_disclosure": 0},
    )
    db["persons"].create_index(["household_id"])
    db["persons"].create_index(["name", "birth_date"])
    # count-only registration: one row per tap (+1 arrive, -1 leave), no personal data
    db["headcounts"].create(
        {"id": str, "shelter_id": str, "zone_id": str, "sex": str, "age_band": str, "delta": int,
         "at": str, "actor": str},
        pk="id",
    )
    db["headcounts"].create_index(["shelter_id"])


# --- vocabulary: key -> (ja, en) ---

HOUSEHOLD_STATUSES = {
    "pending": ("受付待ち", "Waiting at the desk"),
    "checked_in": ("入所中", "Checked in"),
    "checked_out": ("退所", "Checked out"),
    "transferred": ("移送", "Transferred"),
}
STAYING = {
    "shelter": ("避難所", "In the shelter"),
    "home": ("在宅", "At home"),
    "car": ("車中泊", "In a car"),
    "relatives": ("親戚・知人宅", "With relatives"),
    "other": ("その他", "Elsewhere"),
}
CONSENT = {
    "family": ("家族のみ", "Family only"),
    "acquaintances": ("知人にも", "Family and acquaintances"),
    "public": ("公開可", "Anyone"),
    "none": ("一切回答しない", "No one"),
}
SOURCES = {
    "door": ("入口QR", "Door QR"),
    "desk": ("受付", "Desk"),
    "paper": ("紙", "Paper"),
    "prereg": ("事前登録", "Pre-registration"),
}
HOME_DAMAGE = {
    "none": ("被害なし", "No damage"),
    "total": ("全壊", "Destroyed"),
    "half": ("半壊", "Half destroyed"),
    "partial": ("一部損壊", "Partly damaged"),
    "flooded_above": ("床上浸水", "Flooded above floor"),
    "flooded_below": ("床下浸水", "Flooded below floor"),
    "unknown": ("不明", "Unknown"),
}
SEXES = {"male": ("男", "Male"), "female": ("女", "Female"), "unanswered": ("回答しない", "Not answered")}
AGE_BANDS = {
    "infant": ("乳幼児（0〜5歳）", "Infant (0–5)"),
    "child": ("子ども（6〜17歳）", "Child (6–17)"),
    "adult": ("大人（18〜64歳）", "Adult (18–64)"),
    "elderly": ("高齢者（65歳以上）", "Elderly (65+)"),
    "unknown": ("不明", "Unknown"),
}
CARE_CODES = {
    "ILL": ("病気・けが", "Illness or injury"),
    "PRG": ("妊娠中・授乳中", "Pregnant or nursing"),
    "INF": ("乳幼児連れ", "With infants"),
    "DIS": ("障がい", "Disability"),
    "NUR": ("要介護", "Needs nursing care"),
    "MED": ("医療機器（透析・酸素など）", "Medical device (dialysis, oxygen)"),
    "ALG": ("アレルギー", "Allergy"),
    "FOR": ("日本語が不自由", "Limited Japanese"),
    "ELD": ("一人暮らしの高齢者", "Elderly living alone"),
}
ALLERGENS = {
    "卵": ("卵", "Egg"), "乳": ("乳", "Milk"), "小麦": ("小麦", "Wheat"), "落花生": ("落花生", "Peanut"),
    "そば": ("そば", "Buckwheat"), "えび": ("えび", "Shrimp"), "かに": ("かに", "Crab"),
}
PERSON_STATUSES = {"in": ("在所", "In"), "away": ("外泊中", "Away overnight"), "out": ("退所", "Out")}

# Every column that identifies or describes a person: the closing purge blanks exactly these.
PERSONAL_COLUMNS = {
    "households": ["address", "postcode", "phone", "emergency_contact", "home_damage", "pets", "vehicle",
                   "prereg_ref"],
    "persons": ["name", "kana", "birth_date", "age", "relation", "nationality", "language", "injury_illness",
                "care_codes", "allergens", "allergens_other", "medication", "medical_devices", "diet", "notes"],
}
# 要配慮個人情報 and health details: lead and hq only, never public.
SENSITIVE_COLUMNS = {
    "persons": ["injury_illness", "care_codes", "medication", "medical_devices", "allergens", "allergens_other",
                "diet"],
}
SENSITIVE_ROLES = ("lead", "hq")

HOUSEHOLD_FIELDS = ("staying", "zone_id", "address", "postcode", "phone", "emergency_contact", "home_damage",
                    "pets", "vehicle", "consent")
PERSON_FIELDS = ("name", "kana", "sex", "birth_date", "age", "relation", "nationality", "language",
                 "injury_illness", "care_codes", "allergens", "allergens_other", "medication", "medical_devices",
                 "diet", "notes", "non_disclosure")
MAX_PERSONS = 30


# --- helpers ---

def _insert(db, table, record):
    # plain SQL: registration is on the hot path, and sqlite-utils' insert inspects the table each time
    keys = list(record)
    db.execute(f"insert into {table} ({', '.join(keys)}) values ({', '.join('?' * len(keys))})",
               [record[k] for k in keys])


def _text(value, limit=200):
    if value is None:
        return None
    if isinstance(value, (list, dict, tuple, set)):
        raise Invalid("文字で入力してください。", "Enter text here, not a list.")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text[:limit] or None


def _choice(value, vocabulary, default, what_ja, what_en):
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


def _record(data, what_ja, what_en):
    if data is None:
        return {}
    if not hasattr(data, "get") or isinstance(data, (str, bytes)):
        raise Invalid(f"{what_ja}の形が正しくありません。", f"The {what_en} must be an object.")
    return data


def clean_household(data):
    """The household fields of a form or a JSON record, checked. :raise Invalid:"""
    data = _record(data, "世帯", "household")
    out = {
        "staying": _choice(data.get("staying"), STAYING, "shelter", "滞在場所", "place of stay"),
        "consent": _choice(data.get("consent"), CONSENT, "none", "安否確認の同意", "consent"),
        "home_damage": _choice(data.get("home_damage"), HOME_DAMAGE, None, "住家の被害", "home damage"),
        "zone_id": _text(data.get("zone_id"), 64),
    }
    for key in ("address", "postcode", "phone", "emergency_contact", "pets", "vehicle"):
        out[key] = _text(data.get(key))
    return out


def clean_person(data):
    """One person's fields, checked. :raise Invalid:"""
    data = _record(data, "人", "person")
    out = {key: _text(data.get(key)) for key in ("name", "kana", "relation", "nationality", "language",
                                                 "injury_illness", "medication", "medical_devices", "diet")}
    out["notes"] = _text(data.get("notes"), 1000)
    out["allergens_other"] = _text(data.get("allergens_other"))
    out["sex"] = _choice(data.get("sex"), SEXES, "unanswered", "性別", "sex")
    birth = _text(data.get("birth_date"), 10)
    age = data.get("age")
    if isinstance(age, (list, dict, bool, float)):
        raise Invalid(N_("Enter the age as a whole number."))
    if birth:
        try:
            age_from_birth = _age_from(birth)
        except ValueError:
            raise Invalid(N_("Enter the date of birth like 2001-04-01: %(birth)s"), params={"birth": birth}) from None
        if not 0 <= age_from_birth <= 130:
            raise Invalid(N_("The date of birth is not plausible: %(birth)s"), params={"birth": birth})
        age = age_from_birth
    elif age not in (None, ""):
        try:
            age = int(unicodedata.normalize("NFKC", str(age)).strip())
        except ValueError:
            raise Invalid(N_("Enter the age as a number: %(age)s"), params={"age": age}) from None
        if not 0 <= age <= 130:
            raise Invalid(N_("The age is not plausible: %(age)s"), params={"age": age})
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


def _decode_person(person):
    person = dict(person)
    for key in ("care_codes", "allergens"):
        if key in person:
            person[key] = json.loads(person[key] or "[]")
    person["non_disclosure"] = bool(person.get("non_disclosure"))
    return person


def _household_out(db, household, *, include_sensitive=True, include_hidden=True):
    persons = [_decode_person(p) for p in
               fetch_all(db, "select * from persons where household_id = ? order by position", [household["id"]])]
    out = dict(household)
    out["display_number"] = codes.display(household["reception_number"])
    out["persons"] = persons
    out["hidden_persons"] = 0
    return restrict(out, include_sensitive=include_sensitive, include_hidden=include_hidden)


def restrict(household, *, include_sensitive=False, include_hidden=False):
    """A copy of a (fully loaded) household without what the viewer may not see: sensitive columns
    unless `include_sensitive`, 非公開 persons unless `include_hidden` (counted in "hidden_persons")."""
    out = dict(household)
    persons = [dict(p) for p in household["persons"]]
    hidden = sum(1 for p in persons if p["non_disclosure"])
    if not include_hidden:
        persons = [p for p in persons if not p["non_disclosure"]]
    if not include_sensitive:
        for person in persons:
            for key in SENSITIVE_COLUMNS["persons"]:
                person.pop(key, None)
    out["persons"] = persons
    out["hidden_persons"] = household.get("hidden_persons", 0) + (0 if include_hidden else hidden)
    if not include_hidden and hidden and not persons:
        # a household of 非公開 persons only: staff see that it exists, nothing that identifies it
        for key in PERSONAL_COLUMNS["households"]:
            out[key] = None
    return out


def get(db, household_id, **kwargs):
    """A household with its persons. :raise NotFound:"""
    household = fetch_one(db, "select * from households where id = ?", [household_id])
    if household is None:
        raise NotFound("世帯が見つかりません。", "No such household.")
    return _household_out(db, household, **kwargs)


def by_number(db, code, **kwargs):
    """The household with this reception number, or None."""
    household = fetch_one(db, "select * from households where reception_number = ?", [code])
    return None if household is None else _household_out(db, household, **kwargs)


def _shelter(db, shelter_id):
    from . import shelters

    return shelters.get(db, shelter_id)


def _require_open(shelter):
    if shelter["state"] != "open":
        raise Conflict(f"{shelter['name']}は現在開設していないため受付できません。",
                       f"{shelter.get('name_en') or shelter['name']} is not open; it cannot check anyone in.",
                       code="ShelterNotOpen")


# --- registration ---

def register(db, shelter_id, household, persons, *, actor, source, status="pending", request_id=None,
             reception_number=None):
    """Create a household and its persons at a shelter. Returns the household with its reception number.

    `status` is "pending" for a door registration (checked in when scanned at the desk) or
    "checked_in" when staff register at the desk. `reception_number` keys in a pre-numbered paper
    card. A repeated `request_id` returns the household created the first time.
    """
    if not isinstance(source, str) or source not in SOURCES:
        raise Invalid(f"登録元が正しくありません: {source}", f"Unknown source: {source}")
    if not isinstance(status, str) or status not in ("pending", "checked_in"):
        raise Invalid(f"登録時の状態が正しくありません: {status}", f"A household cannot be registered as {status}.")
    fields = clean_household(household)
    if persons is not None and not isinstance(persons, (list, tuple)):
        raise Invalid("persons は配列です。", "persons must be a list.")
    people = [clean_person(p) for p in (persons or [])
              if any(v not in (None, "", [], False) for v in _record(p, "人", "person").values())]
    if not people:
        raise Invalid(N_("Enter at least one person."))
    if len(people) > MAX_PERSONS:
        raise Invalid(N_("A household has at most %(n)s persons."), params={"n": MAX_PERSONS})
    with write(db):
        if request_id and event_seen(db, request_id):
            done = fetch_one(db, "select payload from events where op = ? order by seq limit 1", [request_id])
            return get(db, json.loads(done["payload"])["household_id"])
        shelter = _shelter(db, shelter_id)
        _require_open(shelter)
        if fields["zone_id"] and not db.execute("select 1 from zones where id = ? and shelter_id = ?",
                                                [fields["zone_id"], shelter["id"]]).fetchone():
            raise Invalid("区画が見つかりません。", "No such zone in this shelter.")
        if reception_number:
            number = codes.validate(reception_number)
            if by_number(db, number) is not None:
                raise Conflict(f"受付番号 {codes.display(number)} はすでに登録されています。",
                               f"Reception number {codes.display(number)} is already registered.")
        else:
            number = codes.new_number(db)
        stamp = now()
        household_id = new_id()
        _insert(db, "households", {
            "id": household_id, "reception_number": number, "shelter_id": shelter["id"], "status": status,
            "source": source, "registered_at": stamp, "updated_at": stamp, "created_by": actor,
            "checked_in_at": stamp if status == "checked_in" else None,
            "prereg_ref": (household or {}).get("prereg_ref"), **fields,
        })
        for position, person in enumerate(people):
            _insert(db, "persons", {"id": new_id(), "household_id": household_id, "position": position,
                                  "status": "in", "updated_at": stamp, **person})
        if reception_number:
            db.execute("update reserved_numbers set used_at = ? where number = ?", [stamp, number])
        record_event(db, "household.registered", actor=actor, shelter_id=shelter["id"], event_id=request_id,
                     payload={"household_id": household_id, "reception_number": number, "source": source,
                              "status": status, "persons": len(people), "staying": fields["staying"]})
        if status == "checked_in":
            record_event(db, "household.checked_in", actor=actor, shelter_id=shelter["id"],
                         payload={"household_id": household_id, "reception_number": number,
                                  "persons": len(people)})
        return get(db, household_id)


def check_in(db, shelter_id, code, *, actor, request_id=None, key=None):
    """Check a household in by its reception number or a sealed pre-registration QR text.

    Returns {"household": ..., "already": bool, "warnings": [...]}. A second scan returns
    already=True and changes nothing. :raise Invalid: unreadable code; :raise NotFound: unknown
    number; :raise Conflict: shelter not open, or the household is checked in at another shelter.
    """
    text = codes.normalize(code)
    sealed = prereg.looks_sealed(text)
    if sealed:
        household_data, persons_data = prereg.open_sealed(key, text)
        ref = prereg.fingerprint(text)
    else:
        number = codes.validate(text)
    with write(db):
        if request_id and event_seen(db, request_id):
            done = fetch_one(db, "select payload from events where op = ? order by seq limit 1", [request_id])
            return {"household": get(db, json.loads(done["payload"])["household_id"]), "already": True,
                    "warnings": []}
        shelter = _shelter(db, shelter_id)
        _require_open(shelter)
        if sealed:
            row = fetch_one(db, "select * from households where prereg_ref = ? order by registered_at desc limit 1", [ref])
            if row is None:
                created = register(db, shelter["id"], {**household_data, "prereg_ref": ref}, persons_data,
                                   actor=actor, source="prereg", status="checked_in", request_id=request_id)
                return {"household": created, "already": False, "warnings": _elsewhere(db, created)}
        else:
            row = fetch_one(db, "select * from households where reception_number = ?", [number])
            if row is None:
                if codes.reserved(db, number):
                    raise NotFound(f"受付番号 {codes.display(number)} は紙の避難者カードの番号です。"
                                   "カードの内容を入力してください。",
                                   f"{codes.display(number)} is a paper card number: key in the card first.",
                                   code="PaperCardNotEntered")
                raise NotFound(f"受付番号 {codes.display(number)} は登録されていません。",
                               f"Reception number {codes.display(number)} is not registered.")
        if row["status"] == "checked_in":
            if row["shelter_id"] != shelter["id"]:
                other = _shelter(db, row["shelter_id"])
                raise Conflict(f"この世帯は{other['name']}に入所中です。移送の手続きをしてください。",
                               f"This household is checked in at {other.get('name_en') or other['name']}. "
                               "Transfer it instead.", code="CheckedInElsewhere")
            return {"household": get(db, row["id"]), "already": True, "warnings": []}
        stamp = now()
        db.execute("update households set status = 'checked_in', shelter_id = ?, checked_in_at = ?, "
                   "checked_out_at = null, updated_at = ? where id = ?", [shelter["id"], stamp, stamp, row["id"]])
        db.execute("update persons set status = 'in', away_until = null, updated_at = ? where household_id = ?",
                   [stamp, row["id"]])
        household = get(db, row["id"])
        _log_checkin(db, shelter, household, actor, request_id)
        return {"household": household, "already": False, "warnings": _elsewhere(db, household)}


def _log_checkin(db, shelter, household, actor, request_id):
    record_event(db, "household.checked_in", actor=actor, shelter_id=shelter["id"], event_id=request_id,
                 payload={"household_id": household["id"], "reception_number": household["reception_number"],
                          "persons": len(household["persons"])})


def _elsewhere(db, household):
    """Warnings for persons of this household who look checked in at another shelter (same name and birth date).

    A 非公開 person on either side is never matched: the warning would tell staff where they are."""
    warnings = []
    for person in household["persons"]:
        if not person.get("name") or person.get("non_disclosure"):
            continue
        rows = fetch_all(db, """
            select s.name as shelter_name, s.name_en as shelter_name_en from persons p
            join households h on h.id = p.household_id join shelters s on s.id = h.shelter_id
            where p.name = ? and coalesce(p.birth_date, '') = coalesce(?, '') and h.id != ?
              and h.status = 'checked_in' and p.status != 'out' and h.shelter_id != ?
              and p.non_disclosure = 0""",
                     [person["name"], person.get("birth_date"), household["id"], household["shelter_id"]])
        for row in rows:
            warnings.append({
                "person_id": person["id"],
                "ja": f"{person['name']}さんは{row['shelter_name']}にも入所しています。",
                "en": f"{person['name']} is also checked in at {row['shelter_name_en'] or row['shelter_name']}.",
            })
    return warnings


# --- movements ---

def _household_at(db, shelter_id, household_id):
    row = fetch_one(db, "select * from households where id = ?", [household_id])
    if row is None or row["shelter_id"] != shelter_id:
        raise NotFound("この避難所にその世帯はありません。", "No such household at this shelter.")
    return row


def _person_ids(db, household_id, person_ids):
    all_ids = [r[0] for r in db.execute("select id from persons where household_id = ?", [household_id])]
    if person_ids is None:
        return all_ids
    unknown = set(person_ids) - set(all_ids)
    if unknown:
        raise NotFound("その世帯にいない人が指定されました。", "Some persons are not in this household.")
    return list(person_ids)


def check_out(db, shelter_id, household_id, *, actor, person_ids=None, source="desk", request_id=None):
    """Check out the whole household, or only `person_ids`; the household is out when nobody is left."""
    with write(db):
        if request_id and event_seen(db, request_id):
            return get(db, household_id)
        row = _household_at(db, shelter_id, household_id)
        if row["status"] != "checked_in":
            raise Conflict("この世帯は入所中ではありません。", "This household is not checked in.")
        ids = _person_ids(db, household_id, person_ids)
        stamp = now()
        db.execute(f"update persons set status = 'out', away_until = null, updated_at = ? "
                   f"where household_id = ? and id in ({','.join('?' * len(ids))})", [stamp, household_id, *ids])
        left = db.execute("select count(*) from persons where household_id = ? and status != 'out'",
                          [household_id]).fetchone()[0]
        if not left:
            db.execute("update households set status = 'checked_out', checked_out_at = ?, updated_at = ? "
                       "where id = ?", [stamp, stamp, household_id])
        record_event(db, "household.checked_out", actor=actor, shelter_id=shelter_id, event_id=request_id,
                     payload={"household_id": household_id, "persons": len(ids), "whole": not left,
                              "source": source})
        return get(db, household_id)


def set_away(db, shelter_id, household_id, *, actor, person_ids=None, until=None):
    """外泊届: persons away overnight. Their place is kept, so they still count as present."""
    return _set_person_status(db, shelter_id, household_id, "away", actor=actor, person_ids=person_ids,
                              until=_text(until, 32))


def set_back(db, shelter_id, household_id, *, actor, person_ids=None):
    """Back from an overnight absence."""
    return _set_person_status(db, shelter_id, household_id, "in", actor=actor, person_ids=person_ids)


def _set_person_status(db, shelter_id, household_id, status, *, actor, person_ids=None, until=None):
    with write(db):
        row = _household_at(db, shelter_id, household_id)
        if row["status"] != "checked_in":
            raise Conflict("この世帯は入所中ではありません。", "This household is not checked in.")
        ids = _person_ids(db, household_id, person_ids)
        db.execute(f"update persons set status = ?, away_until = ?, updated_at = ? where household_id = ? "
                   f"and status != 'out' and id in ({','.join('?' * len(ids))})",
                   [status, until if status == "away" else None, now(), household_id, *ids])
        record_event(db, "household.away" if status == "away" else "household.back", actor=actor,
                     shelter_id=shelter_id, payload={"household_id": household_id, "persons": len(ids),
                                                     "until": until})
        return get(db, household_id)


def transfer(db, household_id, to_shelter_id, *, actor, request_id=None, from_shelter_id=None):
    """Move a household to another open shelter in one transaction: out at A, in at B, the record moved.

    Returns {"household": ..., "from": shelter id, "warnings": [...]} (warnings: persons who look
    checked in elsewhere already). `from_shelter_id` refuses a household that is not there.
    """
    with write(db):
        if request_id and event_seen(db, request_id):
            household = get(db, household_id)
            return {"household": household, "from": household["transferred_from"], "warnings": []}
        row = fetch_one(db, "select * from households where id = ?", [household_id])
        if row is None or (from_shelter_id and row["shelter_id"] != from_shelter_id):
            raise NotFound("この避難所にその世帯はありません。", "No such household at this shelter.")
        if row["status"] not in ("checked_in", "pending"):
            raise Conflict("入所中の世帯だけ移送できます。", "Only a checked-in household can be transferred.")
        target = _shelter(db, to_shelter_id)
        if target["id"] == row["shelter_id"]:
            raise Invalid("移送先が同じ避難所です。", "The household is already at that shelter.")
        _require_open(target)
        stamp = now()
        db.execute("update households set shelter_id = ?, transferred_from = ?, zone_id = null, "
                   "status = 'checked_in', checked_in_at = ?, updated_at = ? where id = ?",
                   [target["id"], row["shelter_id"], stamp, stamp, household_id])
        db.execute("update persons set status = 'in', away_until = null where household_id = ? and status = 'away'",
                   [household_id])
        payload = {"household_id": household_id, "from": row["shelter_id"], "to": target["id"]}
        record_event(db, "household.transferred_out", actor=actor, shelter_id=row["shelter_id"], payload=payload)
        record_event(db, "household.transferred_in", actor=actor, shelter_id=target["id"], event_id=request_id,
                     payload=payload)
        household = get(db, household_id)
        return {"household": household, "from": row["shelter_id"], "warnings": _elsewhere(db, household)}


def update_household(db, shelter_id, household_id, changes, *, actor):
    """Change where a household stays, its zone or its consent (staff at the desk)."""
    with write(db):
        row = _household_at(db, shelter_id, household_id)
        fields = clean_household({**row, **changes})
        allowed = {k: fields[k] for k in ("staying", "zone_id", "consent") if k in changes}
        if allowed.get("zone_id") and not db.execute("select 1 from zones where id = ? and shelter_id = ?",
                                                      [allowed["zone_id"], shelter_id]).fetchone():
            raise Invalid("区画が見つかりません。", "No such zone in this shelter.")
        if allowed:
            db["households"].update(household_id, {**allowed, "updated_at": now()})
            record_event(db, "household.updated", actor=actor, shelter_id=shelter_id,
                         payload={"household_id": household_id, **allowed})
        return get(db, household_id)


# --- count-only mode ---

def count_head(db, shelter_id, sex, band, *, actor, delta=1, zone_id=None):
    """One tap in count-only mode: +1 arrives, -1 leaves. No personal data. Returns the shelter's head total."""
    sex = _choice(sex, SEXES, "unanswered", "性別", "sex")
    band = _choice(band, AGE_BANDS, "unknown", "年齢層", "age band")
    if delta not in (1, -1):
        raise Invalid("1人ずつ数えてください。", "Count one person at a time.")
    with write(db):
        if delta == 1:
            _require_open(_shelter(db, shelter_id))
        if delta == -1:
            have = db.execute("select coalesce(sum(delta), 0) from headcounts where shelter_id = ? and sex = ? "
                              "and age_band = ?", [shelter_id, sex, band]).fetchone()[0]
            if have <= 0:
                raise Conflict("この区分の人数はすでに0です。", "Nobody of this group is counted.")
        db.execute("insert into headcounts (id, shelter_id, zone_id, sex, age_band, delta, at, actor) "
                   "values (?, ?, ?, ?, ?, ?, ?, ?)", [new_id(), shelter_id, zone_id, sex, band, delta, now(), actor])
        record_event(db, "headcount.arrived" if delta == 1 else "headcount.left", actor=actor,
                     shelter_id=shelter_id, payload={"sex": sex, "age_band": band})
    return headcounts(db, shelter_id)


def headcounts(db, shelter_id):
    """Count-only heads present: {"total": n, "groups": {(sex, band): n}}."""
    rows = db.execute("select sex, age_band, sum(delta) from headcounts where shelter_id = ? group by sex, age_band",
                      [shelter_id]).fetchall()
    groups = {(sex, band): n for sex, band, n in rows if n}
    return {"total": sum(groups.values()), "groups": groups}


# --- reading ---

def present_counts(db):
    """People present per shelter: {shelter_id: {"total": n, "zones": {zone_id or None: n}}}.

    The one definition of "checked in" that occupancy, closing and reports share: persons of
    checked-in households staying in the shelter (away overnight still count: their place is kept)
    plus count-only heads. Evacuees outside the shelter (在宅・車中泊) are not counted.
    """
    rows = db.execute("""
        select h.shelter_id, h.zone_id, count(*) from persons p join households h on h.id = p.household_id
        where h.status = 'checked_in' and h.staying = 'shelter' and p.status in ('in', 'away')
        group by h.shelter_id, h.zone_id
        union all
        select shelter_id, zone_id, sum(delta) from headcounts group by shelter_id, zone_id""").fetchall()
    counts = {}
    for shelter_id, zone_id, n in rows:
        if not n:
            continue
        entry = counts.setdefault(shelter_id, {"total": 0, "zones": {}})
        entry["total"] += n
        entry["zones"][zone_id] = entry["zones"].get(zone_id, 0) + n
    return counts


def outside_counts(db):
    """Evacuees registered at each shelter but staying outside it (在宅・車中泊…): {shelter_id: {staying: n}}."""
    rows = db.execute("""
        select h.shelter_id, h.staying, count(*) from persons p join households h on h.id = p.household_id
        where h.status = 'checked_in' and h.staying != 'shelter' and p.status != 'out'
        group by h.shelter_id, h.staying""").fetchall()
    out = {}
    for shelter_id, staying, n in rows:
        out.setdefault(shelter_id, {})[staying] = n
    return out


NO_DESK_COUNTS = {"present": 0, "pending": 0, "outside": 0}


def desk_counts(db, shelter_ids=None):
    """What a reception desk's header shows, per shelter: {shelter_id: {"present", "pending",
    "outside"}} — people checked in (present_counts), households registered at the door and not
    yet at the desk, evacuees registered here but staying outside. Counts only."""
    present = present_counts(db)
    outside = outside_counts(db)
    pending = dict(db.execute("select shelter_id, count(*) from households where status = 'pending' "
                              "group by shelter_id").fetchall())
    ids = shelter_ids if shelter_ids is not None else set(present) | set(outside) | set(pending)
    return {sid: {"present": present.get(sid, {}).get("total", 0), "pending": pending.get(sid, 0),
                  "outside": sum(outside.get(sid, {}).values())} for sid in ids}


def roster(db, shelter_id, *, include_sensitive=False, include_hidden=False, statuses=("checked_in",)):
    """The households of a shelter with their "persons", for printing, reports and needs estimates.

    Sensitive columns are left out unless `include_sensitive` (lead/hq); 非公開 persons are left
    out unless `include_hidden`. Ordered by reception number.
    """
    marks = ",".join("?" * len(statuses))
    rows = fetch_all(db, f"select * from households where shelter_id = ? and status in ({marks}) "
                     f"order by registered_at, reception_number", [shelter_id, *statuses])
    return [_household_out(db, row, include_sensitive=include_sensitive, include_hidden=include_hidden)
            for row in rows]


def visibility(role):
    """What a role may see: kwargs for roster()/get()."""
    privileged = role in SENSITIVE_ROLES
    return {"include_sensitive": privileged, "include_hidden": privileged}
