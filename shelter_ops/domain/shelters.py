"""Shelters (指定避難所), emergency sites (指定緊急避難場所), zones, the lifecycle and its checklist."""
import json
import uuid
from pathlib import Path

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, fetch_one, new_id, now, record_event, write
from .errors import Conflict, Forbidden, Invalid, NotFound

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
        where.append("hidden = 0")
    if ids is not None:
        where.append(f"id in ({','.join('?' * len(ids))})")
        args.extend(ids)
    sql = "select * from shelters" + (" where " + " and ".join(where) if where else "")
    return fetch_all(db, sql + " order by kyotsu_id, name", args)


def zones(db, shelter_id):
    return fetch_all(db, "select * from zones where shelter_id = ? order by position, name", [shelter_id])


def sites(db):
    rows = fetch_all(db, "select * from emergency_sites order by kyotsu_id, name")
    for row in rows:
        row["hazards"] = json.loads(row["hazards"] or "[]")
        row["neighbourhoods"] = json.loads(row["neighbourhoods"] or "[]")
    return rows


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
        db["checklist_marks"].upsert(
            {"shelter_id": shelter_id, "item": item_key, "result": result, "done_by": actor, "done_at": now()},
            pk=("shelter_id", "item"),
        )
        if item_key == "safety_check":
            db.execute("update shelters set safety = ?, updated_at = ? where id = ?", [result, now(), shelter_id])
        record_event(db, "checklist.marked", actor=actor, shelter_id=shelter_id,
                     payload={"item": item_key, "result": result})


def unmark_item(db, shelter_id, item_key, *, actor):
    with write(db):
        db.execute("delete from checklist_marks where shelter_id = ? and item = ?", [shelter_id, item_key])
        if item_key == "safety_check":
            db.execute("update shelters set safety = null where id = ?", [shelter_id])
        record_event(db, "checklist.unmarked", actor=actor, shelter_id=shelter_id, payload={"item": item_key})


# --- the lifecycle ---

def present_count(db, shelter_id):
    """How many people are checked in at the shelter now."""
    from .households import present_counts

    return present_counts(db).get(shelter_id, {}).get("total", 0)


def transition(db, shelter_id, to, *, actor, role, reason="", confirmed=False, event_id=None):
    """Move a shelter to state `to`, or refuse with the reason (409). Returns the shelter."""
    if to not in STATES:
        raise Invalid(f"不明な状態です: {to}", f"Unknown state: {to}")
    with write(db):
        shelter = get(db, shelter_id)
        current = shelter["state"]
        if current == to:
            return shelter  # a repeated request changes nothing
        if to not in TRANSITIONS[current]:
            raise Conflict(
                f"「{STATES[current][0]}」から「{STATES[to][0]}」には移れません。",
                f"A shelter cannot go from {STATES[current][1]} to {STATES[to][1]}.",
            )
        if current == "closed" and role != "hq":
            raise Conflict("閉鎖した避難所の再開設は本部の決定が必要です。",
                           "Only HQ can decide to reopen a closed shelter.")
        if current == "closed" and not reason.strip():
            raise Conflict("再開設の理由を記録してください。", "Give the reason for reopening.")
        if current == "standby" and to == "open" and role != "hq":
            raise Conflict("まず開設準備を始めてください（チェックリスト）。",
                           "Start opening first (the checklist).")
        if to == "open" and shelter["safety"] == "unusable":
            raise Conflict("安全確認で使用不可とされた避難所は開設できません。",
                           "The safety check found this building unusable; it cannot open.")
        if to == "closed":
            present = present_count(db, shelter["id"])
            if present:
                raise Conflict(
                    f"まだ{present}人が入所しています。退所または移送してから閉鎖してください。",
                    f"{present} people are still checked in. Check them out or transfer them first.",
                )
            if not confirmed:
                raise Conflict("閉鎖するには確認が必要です。", "Closing needs confirmation.")
        stamp = now()
        changes = {"state": to, "state_changed_at": stamp, "updated_at": stamp}
        if to == "open" and current in ("standby", "opening", "closed"):
            changes["opened_at"] = stamp
            changes["closed_at"] = None
        if to == "closed":
            changes["closed_at"] = stamp
        db["shelters"].update(shelter["id"], changes)
        record_event(db, "shelter.transition", actor=actor, shelter_id=shelter["id"], event_id=event_id,
                     payload={"from": current, "to": to, "reason": reason})
        return get(db, shelter["id"])


def open_many(db, shelter_ids, *, actor, role, reason=""):
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
    with write(db):
        db["shelters"].update(shelter_id, {"hidden": int(bool(hidden)), "updated_at": now()})
        record_event(db, "shelter.hidden" if hidden else "shelter.shown", actor=actor, shelter_id=shelter_id)


# --- zones ---

def _zone_fields(data):
    name = (data.get("name") or "").strip()
    if not name:
        raise Invalid("区画名を入力してください。", "Enter a name for the zone.")
    kind = data.get("kind") or "general"
    if kind not in ZONE_KINDS:
        raise Invalid(f"区画の種類が正しくありません: {kind}", f"Unknown zone kind: {kind}")
    try:
        usable_m2 = float(data.get("usable_m2") or 0)
        blocked = int(data.get("blocked_places") or 0)
    except (TypeError, ValueError):
        raise Invalid("面積と使用不可の人数は数字で入力してください。",
                      "Enter the area and the blocked places as numbers.") from None
    if usable_m2 < 0 or blocked < 0 or usable_m2 > 100000:
        raise Invalid("面積と使用不可の人数は0以上で入力してください。",
                      "The area and the blocked places must be 0 or more.")
    return {"name": name[:100], "kind": kind, "usable_m2": usable_m2, "blocked_places": blocked}


def add_zone(db, shelter_id, data, *, actor):
    fields = _zone_fields(data)
    with write(db):
        position = db.execute("select count(*) from zones where shelter_id = ?", [shelter_id]).fetchone()[0]
        zone = {"id": new_id(), "shelter_id": shelter_id, "position": position, "updated_at": now(), **fields}
        db["zones"].insert(zone)
        record_event(db, "zone.added", actor=actor, shelter_id=shelter_id, payload=zone)
    return zone


def update_zone(db, shelter_id, zone_id, data, *, actor):
    fields = _zone_fields(data)
    with write(db):
        if not db.execute("select 1 from zones where id = ? and shelter_id = ?", [zone_id, shelter_id]).fetchone():
            raise NotFound("区画が見つかりません。", "No such zone.")
        db["zones"].update(zone_id, {**fields, "updated_at": now()})
        record_event(db, "zone.updated", actor=actor, shelter_id=shelter_id, payload={"id": zone_id, **fields})
    return {"id": zone_id, "shelter_id": shelter_id, **fields}


def require_access(user, shelter):
    """Lead and staff see only their own shelter; HQ sees all. :raise Forbidden:"""
    if user["role"] == "hq" or user.get("shelter_id") == shelter["id"]:
        return
    raise Forbidden("この避難所を操作する権限がありません。", "You do not have access to this shelter.")
