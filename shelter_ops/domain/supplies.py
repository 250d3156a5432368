"""Supplies (物資): the ledger per shelter, requests to HQ (物資要請書) and needs estimated from the roster."""
import unicodedata
from datetime import date

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, new_id, write
from ..eventlog import applies, done, emit
from . import access, clock, households, privacy
from .text import free_text
from .errors import Conflict, Forbidden, Invalid, NotFound

migrations = Migrations("supplies")


@migrations()
def create_supplies(db):
    # One row per movement; stock is the sum, so the ledger can always be printed and checked.
    db["supply_moves"].create(
        {
            "id": str,
            "shelter_id": str,
            "item": str,
            "unit": str,
            "direction": str,  # in 受入 | out 配布
            "quantity": float,
            "expiry": str,  # YYYY-MM-DD, lots received only
            "note": str,
            "request_id": str,  # the request this delivery answered
            "actor": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    db["supply_moves"].create_index(["shelter_id", "item", "unit"])
    db["supply_requests"].create(
        {
            "id": str,
            "shelter_id": str,
            "item": str,
            "quantity": float,
            "unit": str,
            "priority": str,
            "wanted_by": str,
            "note": str,
            "status": str,
            "reason": str,  # why cancelled or refused
            "received_quantity": float,
            "requested_by": str, "requested_at": str,
            "accepted_by": str, "accepted_at": str,
            "sent_by": str, "sent_at": str,
            "received_by": str, "received_at": str,
            "cancelled_by": str, "cancelled_at": str,
            "refused_by": str, "refused_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    db["supply_requests"].create_index(["shelter_id", "status"])
    db["supply_requests"].create_index(["status"])


# --- vocabulary: key -> (ja, en) ---

PRIORITIES = {
    "urgent": ("至急", "Urgent"),
    "high": ("高", "High"),
    "normal": ("通常", "Normal"),
}

STATUSES = {
    "requested": ("要請中", "Requested"),
    "accepted": ("受付済", "Accepted"),
    "sent": ("発送済", "Sent"),
    "received": ("受領済", "Received"),
    "cancelled": ("取消", "Cancelled"),
    "refused": ("不可（本部）", "Refused by HQ"),
}
OPEN_STATUSES = ("requested", "accepted", "sent")

# status -> {next status: roles that may take the step}
TRANSITIONS = {
    "requested": {"accepted": ("hq",), "refused": ("hq",), "cancelled": ("hq", "lead", "staff")},
    "accepted": {"sent": ("hq",), "cancelled": ("hq",)},
    "sent": {"received": ("hq", "lead", "staff")},
    "received": {},
    "cancelled": {},
    "refused": {},
}

DIRECTIONS = {"in": ("受入", "Received"), "out": ("配布", "Distributed")}

ALLERGENS = {
    "egg": ("卵", "Egg"), "milk": ("乳", "Milk"), "wheat": ("小麦", "Wheat"), "peanut": ("落花生", "Peanut"),
    "buckwheat": ("そば", "Buckwheat"), "shrimp": ("えび", "Shrimp"), "crab": ("かに", "Crab"),
}

# Planning figures per day (an estimate for ordering, shown as such): key -> (label, per day,
# ledger unit, unit as read in (ja, en)). Water: 3 L a person a day for drinking and cooking, and
# three meals, as the Cabinet Office's shelter guidelines plan stockpiles.
PERSON_DAILY = {
    "water": (("飲料水", "Drinking water"), 3, "L", ("L", "L")),
    "meals": (("食料", "Meals"), 3, "食", ("食", "meals")),
}
INFANT_DAILY = {
    "formula": (("粉ミルク・液体ミルク", "Infant formula"), 800, "ml", ("ml", "ml")),
    "diapers": (("紙おむつ（乳児用）", "Diapers (infant)"), 8, "枚", ("枚", "pieces")),
}


# --- helpers ---

def _rows(db, sql, args=()):
    # quantities are REAL; 24.0 reads as 24 on screens, paper and JSON
    return [{c: int(v) if isinstance(v, float) and v.is_integer() else v for c, v in found.items()}
            for found in fetch_all(db, sql, args)]



def _quantity(value, *, allow_zero=False):
    try:
        number = float(unicodedata.normalize("NFKC", str(value)).strip())
    except (TypeError, ValueError):
        raise Invalid("数量は数字で入力してください。", "Enter the quantity as a number.") from None
    if number != number or number < 0 or (number == 0 and not allow_zero) or number > 1e9:
        raise Invalid("数量は0より大きい数にしてください。", "The quantity must be more than 0.")
    return int(number) if number.is_integer() else number


def _date(value, ja, en):
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise Invalid(f"{ja}は YYYY-MM-DD の形で入力してください。", f"Enter the {en} as YYYY-MM-DD.") from None


def _require_role(role, roles):
    if role not in roles:
        raise Forbidden("この操作は本部のみ行えます。" if roles == ("hq",) else "この操作を行う権限がありません。",
                        "Only HQ can do this." if roles == ("hq",) else "Your role cannot do this.")



# --- the ledger ---

def record_move(db, shelter_id, *, item, unit, direction, quantity, expiry=None, note="", actor,
                request_id=None, op=None):
    """Add a movement to the shelter's ledger: `in` (received) or `out` (distributed).

    Distributing more than the stock is refused (409). Returns the movement (a retried `op`: the first one's).
    """
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise Invalid("受入か配布を選んでください。", "Choose received or distributed.")
    move = {
        "id": new_id(),
        "item": free_text(item, "品名", "item", limit=200, fold=True),
        "unit": free_text(unit, "単位", "unit", limit=20, fold=True),
        "direction": direction,
        "quantity": _quantity(quantity),
        "expiry": _date(expiry, "消費期限", "expiry date") if direction == "in" else None,
        "request_id": request_id,
    }
    plain, personal = privacy.split({"note": free_text(note, "備考", "note", required=False, limit=500, fold=True)})
    with write(db):
        access.require(actor, "record_supplies", shelter_id)
        first = done(db, op, kind="supply.")
        if first is not None:
            return _move(db, first.data["id"])
        if direction == "out":
            have = stock_of(db, shelter_id, move["item"], move["unit"])
            if move["quantity"] > have:
                raise Conflict(
                    f"在庫が足りません: {move['item']} は {_fmt(have)}{move['unit']} です。",
                    f"Not enough in stock: {_fmt(have)} {move['unit']} of {move['item']}.",
                )
        emit(db, f"supply.{'received' if direction == 'in' else 'distributed'}", {**move, **plain},
             personal=personal, actor=actor, shelter_id=shelter_id, op=op)
        return _move(db, move["id"])


def _move(db, move_id):
    found = _rows(db, "select * from supply_moves where id = ?", [move_id])
    return found[0] if found else None


def _apply_move(db, e):
    db.execute("insert into supply_moves (id, shelter_id, item, unit, direction, quantity, expiry, note, request_id, "
               "actor, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["id"], e.shelter_id, e.data["item"], e.data["unit"], e.data["direction"], e.data["quantity"],
                e.data["expiry"], privacy.fact(e, "supply_moves", "note"), e.data["request_id"], e.actor.user, e.at])


applies("supply.received", live=False)(_apply_move)
applies("supply.distributed", live=False)(_apply_move)


def _fmt(number):
    return str(int(number)) if float(number).is_integer() else str(number)


def stock_of(db, shelter_id, item, unit):
    row = db.execute(
        "select coalesce(sum(case direction when 'in' then quantity else -quantity end), 0) "
        "from supply_moves where shelter_id = ? and item = ? and unit = ?", [shelter_id, item, unit]).fetchone()
    return row[0]


def stock(db, shelter_id):
    """Stock per item and unit: received, distributed, on hand, and the earliest expiry received.

    [{item, unit, received, distributed, stock, earliest_expiry}] sorted by item.
    """
    rows = _rows(db, """
        select item, unit,
               sum(case direction when 'in' then quantity else 0 end) as received,
               sum(case direction when 'out' then quantity else 0 end) as distributed,
               min(case when direction = 'in' then expiry end) as earliest_expiry
        from supply_moves where shelter_id = ? group by item, unit order by item, unit""", [shelter_id])
    for row in rows:
        row["stock"] = row["received"] - row["distributed"]
    return rows


def ledger(db, shelter_id, *, limit=500):
    """The shelter's movements, newest first (for the screen and the printed ledger)."""
    return _rows(db, "select * from supply_moves where shelter_id = ? order by at desc, rowid desc limit ?",
                 [shelter_id, limit])


# --- requests to HQ (物資要請) ---

def create_request(db, shelter_id, *, item, quantity, unit, priority="normal", wanted_by=None, note="",
                   actor, op=None):
    """A supply request from the shelter to HQ, status `requested`. Returns it (a retried `op`: the first one)."""
    if not isinstance(priority, str) or priority not in PRIORITIES:
        raise Invalid("優先度は 至急・高・通常 から選んでください。", "Priority must be urgent, high or normal.")
    request = {
        "id": new_id(),
        "item": free_text(item, "品名", "item", limit=200, fold=True),
        "quantity": _quantity(quantity),
        "unit": free_text(unit, "単位", "unit", limit=20, fold=True),
        "priority": priority,
        "wanted_by": _date(wanted_by, "希望日", "wanted-by date"),
    }
    plain, personal = privacy.split({"note": free_text(note, "備考", "note", required=False, limit=500, fold=True)})
    with write(db):
        access.require(actor, "request_supplies", shelter_id)
        first = done(db, op, kind="supply_request.requested")
        if first is not None:
            return get_request(db, first.data["id"])
        emit(db, "supply_request.requested", {**request, **plain}, personal=personal, actor=actor,
             shelter_id=shelter_id, op=op)
    return get_request(db, request["id"])


@applies("supply_request.requested", live=False)
def _requested(db, e):
    db.execute("insert into supply_requests (id, shelter_id, item, quantity, unit, priority, wanted_by, note, status, "
               "requested_by, requested_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?)",
               [e.data["id"], e.shelter_id, e.data["item"], e.data["quantity"], e.data["unit"], e.data["priority"],
                e.data["wanted_by"], privacy.fact(e, "supply_requests", "note"), e.actor.user, e.at, e.at])


def get_request(db, request_id):
    """One supply request. :raise NotFound:"""
    rows = _rows(db, "select r.*, s.name as shelter_name, s.kyotsu_id from supply_requests r "
                     "join shelters s on s.id = r.shelter_id where r.id = ?", [request_id])
    if not rows:
        raise NotFound("物資要請が見つかりません。", "No such supply request.")
    return rows[0]


def requests(db, shelter_id=None, status=None):
    """Supply requests, most urgent first, then by wanted-by date and age.

    shelter_id: one shelter's (None: every shelter's, for HQ).
    status: a status key, a list of them, or "open" for requested/accepted/sent; None for all.
    Each row carries the shelter's name and 共通ID for printing the 物資要請書.
    """
    where, args = [], []
    if shelter_id:
        where.append("r.shelter_id = ?")
        args.append(shelter_id)
    if status:
        wanted = OPEN_STATUSES if status == "open" else ([status] if isinstance(status, str) else list(status))
        where.append(f"r.status in ({','.join('?' * len(wanted))})")
        args.extend(wanted)
    sql = ("select r.*, s.name as shelter_name, s.kyotsu_id from supply_requests r "
           "join shelters s on s.id = r.shelter_id" + (" where " + " and ".join(where) if where else ""))
    sql += (" order by case r.priority when 'urgent' then 0 when 'high' then 1 else 2 end,"
            " coalesce(r.wanted_by, '9999'), r.requested_at")
    return _rows(db, sql, args)


def advance_request(db, request_id, to, *, actor, role=None, reason="", received_quantity=None, expiry=None,
                    op=None):
    """Move a request one step: requested → accepted → sent → received, or cancelled / refused.

    Only legal steps (409 otherwise, with the reason); accept, send and refuse are HQ's (403);
    refusing and cancelling need a reason. Receiving adds the received quantity (default: the
    requested quantity) to the shelter's ledger in the same transaction. Repeating the step the
    request is already at changes nothing. Returns the request.
    """
    who = access.acting(actor, role)
    if not isinstance(to, str) or to not in STATUSES or to == "requested":
        raise Invalid(f"不明な状態です: {to}", f"Unknown status: {to}")
    reason = free_text(reason, "理由", "reason", required=False, limit=500, fold=True)
    with write(db):
        request = get_request(db, request_id)
        if done(db, op, kind="supply_request.") is not None:
            return request
        current = request["status"]
        if current == to:
            return request
        _require_step(current, to)
        access.require(who, f"supply_request_{to}", request["shelter_id"])
        if not who.is_system:  # the request's state narrows who may (cancelling an accepted request is HQ's)
            _require_role(who.role, TRANSITIONS[current][to])
        if to in ("cancelled", "refused") and not reason:
            raise Invalid("理由を入力してください。", "Give the reason.")
        step = {"id": request_id, "from": current, "to": to, "received_quantity": None}
        if to == "received":
            quantity = request["quantity"] if received_quantity in (None, "") else _quantity(received_quantity,
                                                                                                allow_zero=True)
            step["received_quantity"] = quantity
            if quantity:
                record_move(db, request["shelter_id"], item=request["item"], unit=request["unit"], direction="in",
                            quantity=quantity, expiry=expiry, note="", actor=who, request_id=request_id)
        plain, personal = privacy.split({"reason": reason if to in ("cancelled", "refused") else None})
        emit(db, f"supply_request.{to}", {**step, **plain}, personal=personal, actor=who,
             shelter_id=request["shelter_id"], op=op)
    return get_request(db, request_id)


def _require_step(current, to):
    """:raise Conflict: when a request at `current` cannot become `to`."""
    if to not in TRANSITIONS[current]:
        raise Conflict(
            f"「{STATUSES[current][0]}」の要請を「{STATUSES[to][0]}」にはできません。",
            f"A request that is {STATUSES[current][1].lower()} cannot become {STATUSES[to][1].lower()}.",
        )


def _advanced(db, e):
    """A step, checked again where it lands: a step made on a node cut off from HQ (or by HQ, reaching
    the node) may no longer be legal when it arrives; it is then refused here and listed as a sync
    conflict (sync.receive), never applied over the other side's decision."""
    to = e.data["to"]
    row = db.execute("select status from supply_requests where id = ?", [e.data["id"]]).fetchone()
    if row is not None and row[0] != to:
        _require_step(row[0], to)
    changes = {"status": to, f"{to}_by": e.actor.user, f"{to}_at": e.at, "updated_at": e.at}
    if to in ("cancelled", "refused"):
        changes["reason"] = privacy.fact(e, "supply_requests", "reason")
    if to == "received":
        changes["received_quantity"] = e.data["received_quantity"]
    db.execute(f"update supply_requests set {', '.join(f'{k} = ?' for k in changes)} where id = ?",
               [*changes.values(), e.data["id"]])


for _step in ("accepted", "sent", "received", "cancelled", "refused"):
    applies(f"supply_request.{_step}", live=False)(_advanced)


# --- needs estimated from the roster (counts only, never names) ---

def _codes(value):
    if not value:
        return set()
    if isinstance(value, str):
        value = value.replace("、", ",").replace(" ", ",").split(",")
    return {str(v).strip().upper() for v in value if str(v).strip()}


def _list(value):
    if not value:
        return []
    if isinstance(value, str):
        import json

        try:
            loaded = json.loads(value)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            return [str(v).strip() for v in loaded if str(v).strip()]
        return [v.strip() for v in value.replace("、", ",").split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def _allergen_key(name):
    name = unicodedata.normalize("NFKC", name).strip()
    for key, (ja, en) in ALLERGENS.items():
        if name in (key, ja, en, en.lower()):
            return key
    return name


def _daily(table, people, days):
    return [{"key": key, "label": {"ja": label[0], "en": label[1]}, "per_day": per_day * people,
             "quantity": per_day * people * days, "unit": unit, "unit_label": {"ja": shown[0], "en": shown[1]}}
            for key, (label, per_day, unit, shown) in table.items()]


def estimate_from_persons(persons, *, days=1, today=None, heads=None):
    """Needs for `days` days from a list of person dicts (counts only; names are never read),
    plus the count-only heads `heads` ({(sex, age band): n}, as households.headcounts gives them).

    A person is an infant with care code INF or age < 2; a head counted in the 0–5 band counts as
    an infant too (an order errs on the side of enough). Everyone needs water and meals. Reads
    `care_codes`/`needs`, `age` or `birth_date`, `allergies`/`allergens` (+ `allergens_other`),
    `medical_devices`, `diet`.
    """
    today = today or clock.local_date()
    heads = heads or {}
    infants = sum(n for (_sex, band), n in heads.items() if band == "infant")
    allergens, devices, diets = {}, {}, {}
    total = sum(heads.values())
    for person in persons:
        total += 1
        codes = _codes(person.get("care_codes") or person.get("care_needs") or person.get("needs"))
        age = households.age_of(person, today)
        if "INF" in codes or (age is not None and age < 2):
            infants += 1
        named = _list(person.get("allergies") or person.get("allergens")) + _list(person.get("allergens_other"))
        for allergen in named:
            key = _allergen_key(allergen)
            allergens[key] = allergens.get(key, 0) + 1
        device_list = _list(person.get("medical_devices") or person.get("devices"))
        if "MED" in codes and not device_list:
            device_list = ["MED"]
        for device in device_list:
            devices[device] = devices.get(device, 0) + 1
        for diet in _list(person.get("diet") or person.get("diet_restrictions")):
            diets[diet] = diets.get(diet, 0) + 1

    def counted(d, vocab=None):
        out = []
        for key, count in sorted(d.items(), key=lambda kv: (-kv[1], kv[0])):
            label = (vocab or {}).get(key, (key, key))
            out.append({"key": key, "label": {"ja": label[0], "en": label[1]}, "count": count})
        return out

    return {
        "persons": total,
        "days": days,
        "counted_only": sum(heads.values()),
        "infants": infants,
        "supplies": _daily(PERSON_DAILY, total, days),
        "infant_supplies": _daily(INFANT_DAILY, infants, days),
        "allergens": counted(allergens, ALLERGENS),
        "medical_devices": counted(devices, {"MED": ("医療機器（詳細未記入）", "Medical device (not specified)")}),
        "diet": counted(diets),
    }


def estimate_needs(db, shelter_id, *, days=1, today=None):
    """Needs of the people at the shelter now: the check-in roster and the heads counted at the
    door without a card (counts only)."""
    return estimate_from_persons(_roster_persons(db, shelter_id), days=days, today=today,
                                 heads=households.headcounts(db, shelter_id)["groups"])


def _roster_persons(db, shelter_id):
    persons = []
    # 非公開 persons count too: they need formula like anyone else, and only counts leave here
    for household in households.roster(db, shelter_id, include_sensitive=True, include_hidden=True):
        persons.extend(p for p in household["persons"] if p.get("status") != "out")
    return persons
