"""被災者台帳-ready roster: the items of 災害対策基本法 90条の3 and its rules, one row per person, CSV or JSON.

The city keeps the 被災者台帳 (or feeds the prefecture's 被災者データベース); shelter-ops hands it what the
shelters recorded so nobody types it again. The rows come from the closing handover's roster
(`closing.handover_roster`): every household registered at a shelter, in or out, and never a household
with a 非公開 person (DOMAIN.md §8: overrides every consent; such cards go to HQ on the restricted path).
Every export is logged like the handover (who, when, which rows, why, to whom), lead for their own
shelter, HQ for any.
"""
import csv
import io
import json

from .. import eventlog
from ..db import now, write
from . import address, clock, closing, households, shelters
from .errors import Forbidden, Invalid

EVENT = "daicho.exported"
eventlog.log_only(EVENT)  # an export changes no state table: the event is the record (who, when, why, which)
ROLES = ("lead", "hq")
FORMATS = ("csv", "json")

# (key, 台帳 item as the CSV header): 災害対策基本法施行規則 8条の5 order where it names the item
COLUMNS = (
    ("household_number", "世帯番号（受付番号）"), ("household_size", "世帯人数"), ("relation", "続柄"),
    ("name", "氏名"), ("kana", "ふりがな"), ("birth_date", "生年月日"), ("age", "年齢"), ("sex", "性別"),
    ("address", "住所又は居所"), ("address_normalized", "住所又は居所（正規化）"), ("postcode", "郵便番号"),
    ("home_damage", "住家の被害の状況"), ("injury_illness", "負傷・疾病"),
    ("assistance", "援護の実施の状況"), ("shelter", "避難所"), ("kyotsu_id", "避難所共通ID"),
    ("staying", "滞在場所"), ("checked_in_at", "入所日時"), ("checked_out_at", "退所日時"),
    ("transferred_from", "移送元避難所"),
    ("care_needed", "要配慮者"), ("care_reasons", "要配慮者である事由"),
    ("phone", "連絡先（電話番号）"), ("emergency_contact", "緊急連絡先"),
    ("consent", "安否確認への回答の同意"),
    ("provision_consent", "台帳情報の提供への同意"), ("provided_to", "提供先"), ("provided_at", "提供日時"),
)


def _require(role, shelter_id, own_shelter_id):
    if role not in ROLES:
        raise Forbidden("被災者台帳の出力は避難所責任者か本部だけができます。",
                        "Only a shelter lead or HQ can export the register.")
    if role == "lead" and (shelter_id is None or shelter_id != own_shelter_id):
        raise Forbidden("避難所責任者は自分の避難所の分だけ出力できます。",
                        "A shelter lead can export their own shelter only.")


def _label(vocabulary, key):
    return vocabulary.get(key, (key or "",))[0] if key else ""


def _assistance(shelter, household):
    """援護の実施の状況 as the shelter knows it: admitted where and when, and where to."""
    state = _label(households.HOUSEHOLD_STATUSES, household["status"])
    since = clock.utc_to_local(household["checked_in_at"])
    until = clock.utc_to_local(household["checked_out_at"])
    span = f"{since}〜{until}" if since or until else ""
    return f"{shelter['name']}で受付・{state}" + (f"（{span}）" if span else "")


def person_rows(db, shelter, *, provided_to="", provided_at=""):
    """Every person of the shelter's handover roster as a 台帳 row (dict keyed by COLUMNS)."""
    names = {s["id"]: s["name"] for s in shelters.list_all(db)}
    rows = []
    for household in closing.handover_roster(db, shelter["id"]):
        persons = [p for p in household["persons"] if p.get("name")]  # after the purge nothing is left
        if not persons:
            continue
        where = address.both(household.get("address"))
        for person in persons:
            care = person.get("care_codes") or []
            rows.append({
                "household_number": household["display_number"],
                "household_size": len(household["persons"]),
                "relation": person.get("relation") or "",
                "name": person.get("name") or "",
                "kana": person.get("kana") or "",
                "birth_date": person.get("birth_date") or "",
                "age": households.age_of(person),
                "sex": _label(households.SEXES, person.get("sex")),
                "address": where["original"],
                "address_normalized": where["normalized"],
                "postcode": household.get("postcode") or "",
                "home_damage": _label(households.HOME_DAMAGE, household.get("home_damage")),
                "injury_illness": person.get("injury_illness") or "",
                "assistance": _assistance(shelter, household),
                "shelter": shelter["name"],
                "kyotsu_id": shelter["kyotsu_id"] or "",
                "staying": _label(households.STAYING, household.get("staying")),
                "checked_in_at": clock.utc_to_local(household.get("checked_in_at")),
                "checked_out_at": clock.utc_to_local(household.get("checked_out_at")),
                "transferred_from": names.get(household.get("transferred_from"), ""),
                "care_needed": "該当" if care else "",
                "care_reasons": "・".join(_label(households.CARE_CODES, code) for code in care),
                "phone": household.get("phone") or "",
                "emergency_contact": household.get("emergency_contact") or "",
                "consent": _label(households.CONSENT, household.get("consent")),
                "provision_consent": "",  # not asked at the shelter: the city records it (docs/interop.md)
                "provided_to": provided_to,
                "provided_at": provided_at,
                "_household_id": household["id"],
            })
    return rows


def to_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ja for _key, ja in COLUMNS])
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row[key] for key, _ja in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_json(rows, *, municipality_code, provided_to, provided_at):
    """Households with their persons (the 世帯 is the unit of the card), the item names alongside."""
    grouped = {}
    household_keys = ("household_number", "household_size", "address", "address_normalized", "postcode",
                      "home_damage", "assistance", "shelter", "kyotsu_id", "staying", "checked_in_at",
                      "checked_out_at", "transferred_from", "phone", "emergency_contact", "consent")
    for row in rows:
        entry = grouped.get(row["_household_id"])
        if entry is None:
            entry = {key: row[key] for key in household_keys}
            entry["address"] = {"original": row["address"], "normalized": row["address_normalized"]}
            del entry["address_normalized"]
            entry["persons"] = []
            grouped[row["_household_id"]] = entry
        entry["persons"].append({key: row[key] for key, _ja in COLUMNS
                                 if key not in household_keys and not key.startswith("provided")})
    body = {"format": "shelter-ops 被災者台帳 1", "municipality_code": municipality_code,
            "provided_to": provided_to, "provided_at": provided_at,
            "items": {key: ja for key, ja in COLUMNS}, "households": list(grouped.values())}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def export(db, config, *, actor, role, reason, fmt="csv", provided_to="", shelter_id=None, own_shelter_id=None):
    """The roster for the 被災者台帳 of one shelter (`shelter_id`) or, for HQ, of every shelter. Logged as an
    event (who, when, which households, why, to whom). Returns {"filename", "data", "mimetype", "event_id",
    "households", "persons"}. :raise Forbidden: :raise Invalid: no reason, unknown format"""
    _require(role, shelter_id, own_shelter_id)
    if fmt not in FORMATS:
        raise Invalid(f"形式は csv か json です: {fmt}", f"The format is csv or json, not {fmt}.", field="format")
    reason = " ".join(str(reason or "").split())[:500]
    if not reason:
        raise Invalid("出力の理由を入力してください（例: 被災者台帳の作成のため県へ提供）。",
                      "Give the reason for the export (e.g. for the disaster victims' register).", field="reason")
    provided_to = " ".join(str(provided_to or "").split())[:200]
    stamp = now()
    local = clock.utc_to_local(stamp)
    targets = [shelters.get(db, shelter_id)] if shelter_id else shelters.list_all(db)
    rows = []
    for shelter in targets:
        rows.extend(person_rows(db, shelter, provided_to=provided_to, provided_at=local))
    household_ids = sorted({row["_household_id"] for row in rows})
    with write(db):
        event_id = eventlog.emit(db, EVENT, {
            "reason": reason, "format": fmt, "provided_to": provided_to,
            "shelters": [s["id"] for s in targets], "households": household_ids, "persons": len(rows)},
            actor={"name": actor, "role": role}, shelter_id=shelter_id).id
    if fmt == "json":
        data = to_json(rows, municipality_code=config["MUNICIPALITY_CODE"], provided_to=provided_to,
                       provided_at=local)
        mimetype = "application/json"
    else:
        data, mimetype = to_csv(rows), "text/csv"
    scope = shelters.ref(targets[0]) if shelter_id else config["MUNICIPALITY_CODE"]
    return {"filename": f"daicho-{scope}-{stamp[:10]}.{fmt}", "data": data, "mimetype": mimetype,
            "event_id": event_id, "households": len(household_ids), "persons": len(rows)}


def exports(db, *, limit=100):
    """Export events, newest first (who, when, why, to whom, how many)."""
    from ..db import events

    return events(db, kind=EVENT, limit=limit)
