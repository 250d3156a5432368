"""Shelters (指定避難所), emergency sites (指定緊急避難場所), zones, the lifecycle and its checklist."""
import json
import math
import re
import uuid
from dataclasses import replace
from pathlib import Path

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, fetch_one, new_id, write
from ..eventlog import actor_of, applies, done, emit
from . import access
from .errors import Conflict, Invalid, NotFound

migrations = Migrations("shelters")


@migrations()
def create_shelters(db):
    db["shelters"].create(
        {
            "id": str,
            "kyotsu_id": str,  # 共通ID
            "municipality_code": str,
            "name": str,
            "name_en": str,
            "address": str,
            "lat": float,
            "lon": float,
            "kind": str,  # general 一般 | welfare 福祉
            "accepts": str,  # 受入対象者
            "same_address_as_site": int,  # 指定緊急避難場所との住所同一
            "notes": str,
            "state": str,
            "safety": str,  # result of the safety check: usable | partly | unusable
            "hidden": int,  # HQ keeps it off every public output
            "opened_at": str,
            "closed_at": str,
            "state_changed_at": str,
            "source": str,
            "updated_at": str,
        },
        pk="id",
        defaults={"state": "standby", "hidden": 0, "kind": "general"},
    )
    db["shelters"].create_index(["kyotsu_id"], unique=True)
    db["emergency_sites"].create(
        {
            "id": str,
            "kyotsu_id": str,
            "municipality_code": str,
            "name": str,
            "name_en": str,
            "address": str,
            "lat": float,
            "lon": float,
            "hazards": str,  # JSON list of HAZARDS keys
            "same_address_as_shelter": int,
            "capacity": int,  # 想定収容人数, parsed
            "capacity_raw": str,
            "neighbourhoods": str,  # JSON list: 対象となる町会・自治会
            "notes": str,
            "source": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["emergency_sites"].create_index(["kyotsu_id"], unique=True)
    db["zones"].create(
        {
            "id": str,
            "shelter_id": str,
            "name": str,
            "kind": str,
            "usable_m2": float,
            "blocked_places": int,
            "position": int,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
        defaults={"blocked_places": 0, "position": 0},
    )
    db["zones"].create_index(["shelter_id"])
    db["checklist_marks"].create(
        {"shelter_id": str, "item": str, "result": str, "done_by": str, "done_at": str},
        pk=("shelter_id", "item"),
        foreign_keys=[("shelter_id", "shelters", "id")],
    )


# --- vocabulary: key -> (ja, en) ---

STATES = {
    "standby": ("未開設", "Standby"),
    "opening": ("開設準備", "Opening"),
    "open": ("開設", "Open"),
    "closing": ("閉鎖準備", "Closing"),
    "closed": ("閉鎖", "Closed"),
}

# opening status of the national reporting standard (EEI v1.1)
EEI_STATUS = {"standby": "未開設", "opening": "未開設", "open": "開設", "closing": "開設", "closed": "閉鎖"}
EEI_STATUS_EN = {"未開設": "Not opened", "開設": "Open", "閉鎖": "Closed"}

TRANSITIONS = {
    "standby": ("opening", "open"),
    "opening": ("open", "standby"),
    "open": ("closing",),
    "closing": ("open", "closed"),
    "closed": ("opening", "open"),
}

ZONE_KINDS = {
    "general": ("一般", "General"),
    "care": ("福祉避難スペース", "Care space"),
    "nursing": ("授乳室", "Nursing room"),
    "fever": ("発熱者等ゾーン", "Fever zone"),
    "close_contact": ("濃厚接触者ゾーン", "Close-contact zone"),
    "pets": ("ペット", "Pets"),
    "no_entry": ("立入禁止", "No entry"),
    "common": ("共用・受付", "Common / reception"),
}

SAFETY_RESULTS = {
    "usable": ("使用可", "Usable"),
    "partly": ("一部使用不可", "Partly unusable"),
    "unusable": ("使用不可", "Unusable"),
}

SHELTER_KINDS = {"general": ("一般避難所", "General shelter"), "welfare": ("福祉避難所", "Welfare shelter")}

HAZARDS = {
    "flood": ("洪水", "Flood"),
    "landslide": ("崖崩れ、土石流及び地滑り", "Landslide"),
    "storm_surge": ("高潮", "Storm surge"),
    "earthquake": ("地震", "Earthquake"),
    "tsunami": ("津波", "Tsunami"),
    "fire": ("大規模な火事", "Large fire"),
    "inland_flood": ("内水氾濫", "Inland flooding"),
    "volcano": ("火山現象", "Volcano"),
}


# Shelter and site ids derive from the 共通ID, so every install (HQ, each node) agrees on them.
ID_NAMESPACE = uuid.UUID("6f1c5e2a-4b7d-5c3e-9a1f-2d8b7e4c0a91")  # shelter-ops' own namespace


def stable_id(kyotsu_id):
    """The id of the shelter or site with this 共通ID, the same on every install (UUIDv5)."""
    return str(uuid.uuid5(ID_NAMESPACE, kyotsu_id))


# --- reading ---

def get(db, ref):
    """A shelter by 共通ID or by id. :raise NotFound:"""
    shelter = fetch_one(db, "select * from shelters where kyotsu_id = ? or id = ?", [ref, ref])
    if shelter is None:
        raise NotFound(f"避難所が見つかりません: {ref}", f"No such shelter: {ref}")
    return shelter


def ref(shelter):
    """How a shelter is addressed in URLs: its 共通ID where it has one."""
    return shelter["kyotsu_id"] or shelter["id"]


def list_all(db, *, state=None, include_hidden=True, ids=None):
    where, args = [], []
    if state:
        where.append("state = ?")
        args.append(state)
    if not include_hidden:
        where.append(PUBLIC_SQL)
    if ids is not None:
        where.append(f"id in ({','.join('?' * len(ids))})")
        args.extend(ids)
    sql = "select * from shelters" + (" where " + " and ".join(where) if where else "")
    return fetch_all(db, sql + " order by kyotsu_id, name", args)


# a municipality's name inside an address: after the prefecture, up to 市/区/町/村 (政令市の区 kept with its city)
_CITY = re.compile(r"^(?:.{2,3}?[都道府県])?(.+?郡)?(.+?市(?:.+?区)?|.+?[区町村])")


def municipalities(db):
    """The municipalities HQ's shelters belong to: [{"code", "name", "count"}] by code, the name read
    from the shelters' addresses (the registry keeps only the code)."""
    found = {}
    for code, address in db.execute("select municipality_code, address from shelters where municipality_code is not null"):
        entry = found.setdefault(code, {"code": code, "names": {}, "count": 0})
        entry["count"] += 1
        match = _CITY.match(address or "")
        if match:
            name = match.group(2)
            entry["names"][name] = entry["names"].get(name, 0) + 1
    out = []
    for code in sorted(found):
        entry = found[code]
        names = entry["names"]
        name = max(names, key=lambda n: (names[n], -len(n))) if names else code
        out.append({"code": code, "name": name, "count": entry["count"]})
    return out


def zones(db, shelter_id):
    return fetch_all(db, "select * from zones where shelter_id = ? order by position, name", [shelter_id])


def sites(db):
    rows = fetch_all(db, "select * from emergency_sites order by kyotsu_id, name")
    for row in rows:
        row["hazards"] = json.loads(row["hazards"] or "[]")
        row["neighbourhoods"] = json.loads(row["neighbourhoods"] or "[]")
    return rows


# --- what the public may see of a shelter (11.5): one rule for pages, feeds, doors and displays ---

PUBLIC_SQL = "hidden = 0"  # is_public() as a query condition
PUBLIC_FIELDS = ("id", "kyotsu_id", "name", "name_en", "address", "lat", "lon", "kind", "state")
NOT_PUBLISHED = ("この避難所は公開されていません。", "This shelter is not published.")


def is_public(shelter):
    """Whether the public may know of this shelter at all: HQ has not hidden it (a shelter for people
    in danger at home, a welfare shelter whose address must stay private)."""
    return not shelter["hidden"]


def public_shelter(db, ref):
    """The shelter at a public address (door page, displays, residents' pages): only the fields a
    public page may show. A hidden shelter answers exactly like an unknown one. :raise NotFound:"""
    shelter = fetch_one(db, f"select {', '.join(PUBLIC_FIELDS)}, hidden from shelters "
                            "where kyotsu_id = ? or id = ?", [ref, ref])
    if shelter is None or not is_public(shelter):
        raise NotFound(*NOT_PUBLISHED)
    del shelter["hidden"]
    return {**shelter, "ref": shelter["kyotsu_id"] or shelter["id"]}


# --- the registry: a shelter made here (not imported) ---

REGISTERED_FIELDS = ("kyotsu_id", "municipality_code", "name", "name_en", "address", "lat", "lon", "kind",
                     "accepts", "notes", "source")


def _coordinate(value, limit, ja, en):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{ja}は数字で入力してください。", f"Enter the {en} as a number.") from None
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise Invalid(f"{ja}は-{limit}〜{limit}で入力してください。", f"The {en} must be between -{limit} and {limit}.")
    return number


def _registered_fields(data):
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise Invalid("避難所名を入力してください。", "Enter the shelter's name.")
    kyotsu_id = str(data.get("kyotsu_id") or "").strip() or None
    if kyotsu_id is not None and not (len(kyotsu_id) <= 20 and kyotsu_id.isascii() and kyotsu_id.isalnum()):
        raise Invalid(f"共通IDが正しくありません: {kyotsu_id[:40]}", f"Not a 共通ID (common id): {kyotsu_id[:40]}")
    kind = data.get("kind") or "general"
    if kind not in SHELTER_KINDS:
        raise Invalid(f"避難所の種類が正しくありません: {kind}", f"Unknown kind of shelter: {kind}")
    text = {key: (str(data[key]).strip()[:500] or None) if data.get(key) not in (None, "") else None
            for key in ("municipality_code", "name_en", "address", "accepts", "notes", "source")}
    return {**text, "kyotsu_id": kyotsu_id, "name": name[:200], "kind": kind,
            "lat": _coordinate(data.get("lat"), 90, "緯度", "latitude"),
            "lon": _coordinate(data.get("lon"), 180, "経度", "longitude")}


def register(db, data, *, actor):
    """Add a shelter that no imported file holds (HQ's own list, the demo, a test). Its id derives from
    its 共通ID where it has one (every install agrees, as for an import), else a new random one.
    Returns the shelter. :raise Invalid, Conflict, Forbidden:"""
    access.require(actor, "register_shelter")
    fields = _registered_fields(data)
    shelter_id = stable_id(fields["kyotsu_id"]) if fields["kyotsu_id"] else new_id()
    with write(db):
        if fields["kyotsu_id"] and db.execute("select 1 from shelters where kyotsu_id = ? or id = ?",
                                              [fields["kyotsu_id"], shelter_id]).fetchone():
            raise Conflict(f"共通ID {fields['kyotsu_id']} の避難所はすでにあります。",
                           f"A shelter with 共通ID {fields['kyotsu_id']} already exists.")
        emit(db, "shelter.registered", {"id": shelter_id, **fields}, actor=actor, shelter_id=shelter_id)
    return get(db, shelter_id)


@applies("shelter.registered")
def _registered(db, e):
    row = {"id": e.data["id"], **{k: e.data.get(k) for k in REGISTERED_FIELDS},
           "state": "standby", "hidden": 0, "updated_at": e.at}
    db.execute(f"insert into shelters ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values()))


# --- the opening checklist ---

def checklist_items(path):
    """The configured checklist: [{key, ja, en, results?}] in the order staff work through it."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def checklist(db, shelter_id, items):
    """The checklist items with who marked each and when (None where not done yet)."""
    marks = {m["item"]: m for m in fetch_all(db, "select * from checklist_marks where shelter_id = ?", [shelter_id])}
    return [{**item, "mark": marks.get(item["key"])} for item in items]


def mark_item(db, shelter_id, item_key, *, items, actor, result=None):
    """Record a checklist item as done by `actor` now. The safety check needs a result."""
    access.require(actor, "work_shelter", shelter_id)
    item = next((i for i in items if i["key"] == item_key), None)
    if item is None:
        raise Invalid(f"チェック項目がありません: {item_key}", f"No such checklist item: {item_key}")
    if item.get("results"):
        if result not in item["results"]:
            raise Invalid(
                "結果を選んでください: " + " / ".join(SAFETY_RESULTS.get(r, (r,))[0] for r in item["results"]),
                "Choose a result: " + " / ".join(SAFETY_RESULTS.get(r, (r, r))[1] for r in item["results"]),
            )
    else:
        result = None
    with write(db):
        _exists(db, shelter_id)
        emit(db, "checklist.marked", {"item": item_key, "result": result}, actor=actor, shelter_id=shelter_id)


def unmark_item(db, shelter_id, item_key, *, actor):
    access.require(actor, "work_shelter", shelter_id)
    with write(db):
        _exists(db, shelter_id)
        emit(db, "checklist.unmarked", {"item": item_key}, actor=actor, shelter_id=shelter_id)


SAFETY_ITEM = "safety_check"  # its result is the shelter's safety (an unusable building cannot open)


@applies("checklist.marked", live=False)
def _marked(db, e):
    db.execute("insert or replace into checklist_marks (shelter_id, item, result, done_by, done_at) "
               "values (?, ?, ?, ?, ?)", [e.shelter_id, e.data["item"], e.data["result"], e.actor.user, e.at])
    if e.data["item"] == SAFETY_ITEM:
        db.execute("update shelters set safety = ?, updated_at = ? where id = ?", [e.data["result"], e.at, e.shelter_id])


@applies("checklist.unmarked", live=False)
def _unmarked(db, e):
    db.execute("delete from checklist_marks where shelter_id = ? and item = ?", [e.shelter_id, e.data["item"]])
    if e.data["item"] == SAFETY_ITEM:
        db.execute("update shelters set safety = null, updated_at = ? where id = ?", [e.at, e.shelter_id])


def _exists(db, shelter_id):
    if not db.execute("select 1 from shelters where id = ?", [shelter_id]).fetchone():
        raise NotFound("避難所が見つかりません。", "No such shelter.")


# --- the lifecycle ---

def present_count(db, shelter_id):
    """How many people are checked in at the shelter now."""
    from .households import present_counts

    return present_counts(db).get(shelter_id, {}).get("total", 0)


def _authorize_transition(who, shelter, current, to):
    """The lifecycle's rules of who decides (DOMAIN.md §2), in access.RULES."""
    access.require(who, "work_shelter", shelter)
    if current == "closed":
        access.require(who, "reopen_shelter", shelter)
    if current == "standby" and to == "open":
        access.require(who, "open_directly", shelter)
    if to == "closing":
        access.require(who, "begin_closing", shelter)
    if to == "closed":
        access.require(who, "close_shelter", shelter)


def transition(db, shelter_id, to, *, actor, role=None, reason="", confirmed=False, request_id=None):
    """Move a shelter to state `to`, or refuse with the reason (409; 403 for a role that may not).
    `role` is for callers not converted yet that pass a plain name as the actor and have checked the
    user's access to the shelter themselves. Returns the shelter."""
    if to not in STATES:
        raise Invalid(f"不明な状態です: {to}", f"Unknown state: {to}")
    who = actor_of(actor)
    reason = (reason or "").strip()
    with write(db):
        shelter = get(db, shelter_id)
        if role is not None and who.is_system:
            who = replace(who, role=role, shelter_id=shelter["id"] if role != access.HQ else None)
        current = shelter["state"]
        if current == to:
            return shelter  # a repeated request changes nothing
        if to not in TRANSITIONS[current]:
            raise Conflict(
                f"「{STATES[current][0]}」から「{STATES[to][0]}」には移れません。",
                f"A shelter cannot go from {STATES[current][1]} to {STATES[to][1]}.",
            )
        _authorize_transition(who, shelter, current, to)
        if current == "closed" and not reason:
            raise Conflict("再開設の理由を記録してください。", "Give the reason for reopening.")
        if to == "open" and shelter["safety"] == "unusable":
            raise Conflict("安全確認で使用不可とされた避難所は開設できません。",
                           "The safety check found this building unusable; it cannot open.")
        if to == "closing" and not confirmed:
            raise Conflict("閉鎖準備にすると新しい受付が止まります。確認のうえ切り替えてください。",
                           "Closing stops new admissions. Confirm to move the shelter to Closing.")
        if to == "closed":
            present = present_count(db, shelter["id"])
            if present:
                raise Conflict(
                    f"まだ{present}人が入所しています。退所または移送してから閉鎖してください。",
                    f"{present} people are still checked in. Check them out or transfer them first.",
                )
            if not confirmed:
                raise Conflict("閉鎖するには確認が必要です。", "Closing needs confirmation.")
        emit(db, "shelter.transition", {"from": current, "to": to, "reason": reason}, actor=who,
             shelter_id=shelter["id"], op=request_id)
        return get(db, shelter["id"])


@applies("shelter.transition")
def _transitioned(db, e):
    changes = {"state": e.data["to"], "state_changed_at": e.at, "updated_at": e.at}
    if e.data["to"] == "open" and e.data["from"] in ("standby", "opening", "closed"):
        changes.update(opened_at=e.at, closed_at=None)
    if e.data["to"] == "closed":
        changes["closed_at"] = e.at
    db.execute(f"update shelters set {', '.join(f'{k} = ?' for k in changes)} where id = ?",
               [*changes.values(), e.shelter_id])


def open_many(db, shelter_ids, *, actor, role=None, reason=""):
    """HQ opens many shelters at once (a 震度5強 morning). Returns {id: None or the refusal}."""
    results = {}
    for shelter_id in shelter_ids:
        try:
            transition(db, shelter_id, "open", actor=actor, role=role, reason=reason)
            results[shelter_id] = None
        except (Conflict, NotFound) as refusal:
            results[shelter_id] = refusal
    return results


def set_hidden(db, shelter_id, hidden, *, actor):
    """HQ keeps a shelter off every public output (public_shelter, feeds, displays, doors), or shows it."""
    access.require(actor, "hide_shelter")
    with write(db):
        shelter = get(db, shelter_id)
        if bool(shelter["hidden"]) == bool(hidden):
            return  # a repeated request changes nothing
        emit(db, "shelter.hidden" if hidden else "shelter.shown", {}, actor=actor, shelter_id=shelter["id"])


@applies("shelter.hidden")
def _hidden(db, e):
    db.execute("update shelters set hidden = 1, updated_at = ? where id = ?", [e.at, e.shelter_id])


@applies("shelter.shown")
def _shown(db, e):
    db.execute("update shelters set hidden = 0, updated_at = ? where id = ?", [e.at, e.shelter_id])


# --- zones ---

# The largest floor one zone can have. A school gym is ~1,000 m², a big arena floor ~4,000 m²: more is
# a typing slip, or capacity inflated so that HQ sends people where there is no room.
MAX_ZONE_M2 = 5000
MAX_BLOCKED = 5000


def _zone_fields(data):
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise Invalid("区画名を入力してください。", "Enter a name for the zone.")
    kind = data.get("kind") or "general"
    if kind not in ZONE_KINDS:
        raise Invalid(f"区画の種類が正しくありません: {kind}", f"Unknown zone kind: {kind}")
    try:
        usable_m2 = float(data.get("usable_m2") or 0)
        blocked = int(data.get("blocked_places") or 0)
    except (TypeError, ValueError, OverflowError):
        raise Invalid("面積と使用不可の人数は数字で入力してください。",
                      "Enter the area and the blocked places as numbers.") from None
    if usable_m2 < 0 or blocked < 0:  # (NaN is caught below)
        raise Invalid("面積と使用不可の人数は0以上で入力してください。",
                      "The area and the blocked places must be 0 or more.")
    if not usable_m2 <= MAX_ZONE_M2 or blocked > MAX_BLOCKED:
        raise Invalid(f"1区画の面積は{MAX_ZONE_M2:,} m²まで、使用不可の人数は{MAX_BLOCKED:,}人までです。"
                      "広い場所は区画に分けて入力してください。",
                      f"A zone can have at most {MAX_ZONE_M2:,} m² and {MAX_BLOCKED:,} blocked places. "
                      "Enter a larger floor as several zones.")
    return {"name": name[:100], "kind": kind, "usable_m2": usable_m2, "blocked_places": blocked}


def add_zone(db, shelter_id, data, *, actor, request_id=None):
    """A lead or HQ adds a zone (room) to the shelter. Returns the zone; a retried request (the same
    `request_id`) returns the zone it added the first time."""
    access.require(actor, "edit_zones", shelter_id)
    fields = _zone_fields(data)
    with write(db):
        first = done(db, request_id)
        if first is not None:
            return {"shelter_id": first.shelter_id, **first.data}
        _exists(db, shelter_id)
        position = db.execute("select count(*) from zones where shelter_id = ?", [shelter_id]).fetchone()[0]
        zone = {"id": new_id(), "position": position, **fields}
        emit(db, "zone.added", zone, actor=actor, shelter_id=shelter_id, op=request_id)
    return {"shelter_id": shelter_id, **zone}


def update_zone(db, shelter_id, zone_id, data, *, actor, request_id=None):
    """A lead or HQ changes a zone's name, kind, area or blocked places."""
    access.require(actor, "edit_zones", shelter_id)
    fields = _zone_fields(data)
    with write(db):
        if not db.execute("select 1 from zones where id = ? and shelter_id = ?", [zone_id, shelter_id]).fetchone():
            raise NotFound("区画が見つかりません。", "No such zone.")
        emit(db, "zone.updated", {"id": zone_id, **fields}, actor=actor, shelter_id=shelter_id, op=request_id)
    return {"id": zone_id, "shelter_id": shelter_id, **fields}


ZONE_COLUMNS = ("name", "kind", "usable_m2", "blocked_places")


@applies("zone.added")
def _zone_added(db, e):
    db.execute("insert into zones (id, shelter_id, name, kind, usable_m2, blocked_places, position, updated_at) "
               "values (?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["id"], e.shelter_id, *(e.data[k] for k in ZONE_COLUMNS), e.data["position"], e.at])


@applies("zone.updated")
def _zone_updated(db, e):
    db.execute("update zones set name = ?, kind = ?, usable_m2 = ?, blocked_places = ?, updated_at = ? "
               "where id = ? and shelter_id = ?", [*(e.data[k] for k in ZONE_COLUMNS), e.at, e.data["id"], e.shelter_id])


def require_access(user, shelter):
    """Lead and staff see only their own shelter; HQ sees all. :raise Forbidden:"""
    access.require_access(user, shelter)
