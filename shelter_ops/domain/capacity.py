"""Capacity from floor area, congestion levels, overrides, freshness, and the occupancy snapshot."""
import heapq
import math
from datetime import timedelta

from offline_print import geo
from sqlite_utils.migrations import Migrations

from ..db import parse_time, write
from .clock import now  # noqa: F401 - callers and tests read the time here
from ..eventlog import applies, emit
from . import access, clock
from . import settings as settings_store
from .errors import Invalid, NotFound

migrations = Migrations("capacity")


@migrations()
def create_capacity(db):
    # a lead's manual level (e.g. 満 set early), with its reason; ignored once expired
    db["occupancy_overrides"].create(
        {"shelter_id": str, "level": str, "reason": str, "set_by": str, "set_at": str, "expires_at": str},
        pk="shelter_id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    # "still correct": the last time staff confirmed the count
    db["occupancy_confirmations"].create(
        {"shelter_id": str, "confirmed_at": str, "confirmed_by": str},
        pk="shelter_id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )


# key -> (ja, en), in order of crowding
LEVELS = {
    "closed": ("利用停止中", "Not in use"),
    "vacant": ("空いています", "Vacant"),
    "some": ("やや混雑", "Somewhat crowded"),
    "crowded": ("混雑", "Crowded"),
    "full": ("満", "Full"),
}
STALE_LABEL = ("確認中", "Being checked")
UNDECIDED_ZONE = ("区画未定", "Zone not decided")
OVERRIDE_LEVELS = ("vacant", "some", "crowded", "full")
M2_CHOICES = (2.0, 3.5, 4.0)
M2_SETTING = "m2_per_person"

# zone kinds whose places are counted apart from the general space (a person placed there does not
# take a general place, and the public level is about the general space)
APART_KINDS = ("care", "nursing", "fever", "close_contact", "pets")
NO_PLACES_KINDS = ("no_entry", "common")

# events that mean someone at the shelter counted people in or out: the count is fresh
COUNT_EVENT_PATTERNS = ("household.%", "person.%", "checkin%", "check_in%", "checkout%", "check_out%",
                        "transfer%", "movement%", "headcount%", "occupancy.%")


# --- policy: the settings every figure depends on ---

def m2_per_person(db, default):
    """The m² per person in force: HQ's setting for this event, else the configured default."""
    return float(settings_store.get(db, M2_SETTING, default))


def set_m2_per_person(db, value, *, actor):
    """HQ changes the m² per person; every capacity follows at once. :raise Invalid:"""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise Invalid("1人あたりの面積は数字で入力してください。", "Enter the area per person as a number.") from None
    if not (math.isfinite(value) and 0.5 <= value <= 20):
        raise Invalid("1人あたりの面積は0.5〜20 m²で入力してください。",
                      "The area per person must be between 0.5 and 20 m².")
    settings_store.put(db, M2_SETTING, value, actor=actor)
    return value


def parse_thresholds(raw):
    """'0.3,0.6,0.8' -> (0.3, 0.6, 0.8): where vacant, some, crowded and full begin and end."""
    values = tuple(float(v) for v in str(raw).split(",")) if not isinstance(raw, (tuple, list)) else tuple(raw)
    if len(values) != 3 or not 0 < values[0] < values[1] < values[2]:
        raise ValueError(f"LEVEL_THRESHOLDS needs three rising shares, e.g. 0.3,0.6,0.8 (got {raw!r})")
    return values


def policy(db, config):
    """The figures a snapshot is computed with, from the app settings and HQ's stored setting."""
    return {
        "m2_per_person": m2_per_person(db, config["M2_PER_PERSON"]),
        "thresholds": parse_thresholds(config["LEVEL_THRESHOLDS"]),
        "stale_minutes": int(config["STALE_MINUTES"]),
    }


# --- capacity and levels (pure) ---

def zone_capacity(zone, m2):
    """Sleeping places in a zone: floor(usable m² / m² per person) - blocked places, never below 0."""
    if zone["kind"] in NO_PLACES_KINDS or not m2:
        return 0
    # round first: 10.5 / 3.5 is 2.9999999999999996 in floating point
    places = math.floor(round((zone["usable_m2"] or 0) / m2, 6))
    return max(0, places - (zone["blocked_places"] or 0))


def level_for(occupancy, capacity, thresholds, *, is_open=True):
    """The congestion level: half-open ranges [0, t1), [t1, t2), [t2, t3), [t3, ∞) of the capacity."""
    if not is_open:
        return "closed"
    if capacity <= 0:  # no floor area entered yet: nobody can be placed, or nobody is there yet
        return "full" if occupancy > 0 else "vacant"
    share = occupancy / capacity
    low, mid, high = thresholds
    if share < low:
        return "vacant"
    if share < mid:
        return "some"
    if share < high:
        return "crowded"
    return "full"


def _utcnow():
    return clock.utcnow().replace(microsecond=0)


# --- overrides and confirmations ---

def set_override(db, shelter_id, level, *, reason, minutes, actor):
    """A lead or HQ sets the level by hand (e.g. 満 early) with a reason, for `minutes`. :raise Invalid:"""
    access.require(actor, "set_override", shelter_id)
    if level not in OVERRIDE_LEVELS:
        raise Invalid(f"混雑度が正しくありません: {level}", f"Unknown level: {level}")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("手動で混雑度を変える理由を入力してください。", "Give the reason for setting the level by hand.")
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise Invalid("有効時間は分で入力してください。", "Enter how long it applies in minutes.") from None
    if not 1 <= minutes <= 7 * 24 * 60:
        raise Invalid("有効時間は1分〜7日で入力してください。", "It can apply from 1 minute to 7 days.")
    expires_at = (_utcnow() + timedelta(minutes=minutes)).isoformat()
    with write(db):
        _require_shelter(db, shelter_id)
        # the reason is typed and may name someone: sealed under the shelter's key (domain/privacy.py)
        e = emit(db, "occupancy.override", {"level": level, "expires_at": expires_at},
                 personal={"reason": reason[:200]}, actor=actor, shelter_id=shelter_id)
    return {"shelter_id": shelter_id, "level": level, "reason": reason[:200], "set_by": e.actor.user,
            "set_at": e.at, "expires_at": expires_at}


def clear_override(db, shelter_id, *, actor):
    access.require(actor, "set_override", shelter_id)
    with write(db):
        _require_shelter(db, shelter_id)
        emit(db, "occupancy.override_cleared", {}, actor=actor, shelter_id=shelter_id)


def confirm(db, shelter_id, *, actor):
    """One tap "still correct": the count is confirmed now. Returns the time."""
    access.require(actor, "confirm_count", shelter_id)
    with write(db):
        _require_shelter(db, shelter_id)
        return emit(db, "occupancy.confirmed", {}, actor=actor, shelter_id=shelter_id).at


def _require_shelter(db, shelter_id):
    if not db.execute("select 1 from shelters where id = ?", [shelter_id]).fetchone():
        raise NotFound("避難所が見つかりません。", "No such shelter.")


@applies("occupancy.override")
def _override_set(db, e):
    from . import privacy

    db.execute("insert or replace into occupancy_overrides (shelter_id, level, reason, set_by, set_at, expires_at) "
               "values (?, ?, ?, ?, ?, ?)",
               [e.shelter_id, e.data["level"], privacy.fact(e, "occupancy_overrides", "reason"), e.actor.user, e.at,
                e.data["expires_at"]])


@applies("occupancy.override_cleared")
def _override_cleared(db, e):
    db.execute("delete from occupancy_overrides where shelter_id = ?", [e.shelter_id])


@applies("occupancy.confirmed")
def _confirmed(db, e):
    db.execute("insert or replace into occupancy_confirmations (shelter_id, confirmed_at, confirmed_by) "
               "values (?, ?, ?)", [e.shelter_id, e.at, e.actor.user])


def _last_count_events(db, shelter_ids):
    """When people were last counted in or out per shelter (newest matching event)."""
    where = " or ".join("kind like ?" for _ in COUNT_EVENT_PATTERNS)
    out = {}
    for shelter_id in shelter_ids:
        # newest first along the (shelter_id, at) index, stopping at the first match: a long
        # event log costs nothing here
        row = db.execute(f"select at from events where shelter_id = ? and ({where}) order by at desc limit 1",
                         [shelter_id, *COUNT_EVENT_PATTERNS]).fetchone()
        out[shelter_id] = row[0] if row else None
    return out


# --- the snapshot ---

def _shelter_rows(db, ids=None):
    # Only the columns a snapshot needs: this query cannot reach personal data.
    sql = ("select id, kyotsu_id, name, name_en, lat, lon, kind, state, hidden, opened_at, state_changed_at "
           "from shelters")
    args = []
    if ids is not None:
        sql += f" where id in ({','.join('?' * len(ids))})"
        args = list(ids)
    cur = db.execute(sql + " order by kyotsu_id, name", args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def _by_shelter(db, sql, args=()):
    cur = db.execute(sql, args)
    cols = [c[0] for c in cur.description]
    out = {}
    for row in cur.fetchall():
        item = dict(zip(cols, row))
        out.setdefault(item["shelter_id"], []).append(item)
    return out


def snapshots(db, config, *, ids=None, counts=None, at=None):
    """Occupancy of every shelter (or of `ids`): a list of dicts, in 共通ID order.

    Each has the public payload {kyotsu_id, occupancy, capacity, level, stale, updated_at,
    m2_per_person} plus fields for staff (id, name, state, hidden, present, zones, spaces, override,
    lat, lon); `public_record()` keeps the public part only.
    """
    from .households import present_counts

    rules = policy(db, config)
    m2 = rules["m2_per_person"]
    at = at or _utcnow()
    counts = present_counts(db) if counts is None else counts
    rows = _shelter_rows(db, ids)
    zones = _by_shelter(db, "select id, shelter_id, name, kind, usable_m2, blocked_places from zones "
                            "order by position, name")
    overrides = {o["shelter_id"]: o for o in db["occupancy_overrides"].rows}
    confirmations = {c["shelter_id"]: c for c in db["occupancy_confirmations"].rows}
    last_counted = _last_count_events(db, [r["id"] for r in rows if r["state"] == "open"])
    from .nodes import silent_shelters

    silent = silent_shelters(db, rules["stale_minutes"])  # served by a node that has not spoken lately
    out = []
    for shelter in rows:
        sid = shelter["id"]
        present = counts.get(sid, {"total": 0, "zones": {}})
        by_zone = present.get("zones") or {}
        zone_rows = []
        spaces = {}
        general_capacity = 0
        apart_occupancy = 0
        for zone in zones.get(sid, []):
            cap = zone_capacity(zone, m2)
            occ = int(by_zone.get(zone["id"], 0))
            zone_rows.append({"id": zone["id"], "name": zone["name"], "kind": zone["kind"],
                              "usable_m2": zone["usable_m2"], "blocked_places": zone["blocked_places"],
                              "capacity": cap, "occupancy": occ, "unplaced": 0})
            if zone["kind"] in APART_KINDS:
                space = spaces.setdefault(zone["kind"], {"capacity": 0, "occupancy": 0})
                space["capacity"] += cap
                space["occupancy"] += occ
                apart_occupancy += occ
            elif zone["kind"] not in NO_PLACES_KINDS:
                general_capacity += cap
        total = int(present.get("total", 0))
        unplaced = int(by_zone.get(None, 0))  # checked in (at the door, by taps) and not placed yet
        general = [z for z in zone_rows if z["kind"] not in APART_KINDS + NO_PLACES_KINDS]
        if unplaced and len(general) == 1:
            # they take a general place (the level counts them so), and with one general zone it
            # can only be in that one: the floor map then says 体育館 110, not 0
            general[0]["occupancy"] += unplaced
            general[0]["unplaced"] = unplaced
        # whoever no zone row holds (several general zones, a zone since removed): 区画未定, shown
        # as its own row wherever zones are listed, so the rows add up to everyone checked in
        undecided = max(0, total - sum(z["occupancy"] for z in zone_rows))
        for zone in zone_rows:  # each zone's own level, by the same thresholds as the shelter's
            zone["level"] = level_for(zone["occupancy"], zone["capacity"], rules["thresholds"])
        # everyone not placed in a space counted apart (incl. not yet placed) takes a general place
        occupancy = max(0, total - apart_occupancy)
        is_open = shelter["state"] == "open"
        level = level_for(occupancy, general_capacity, rules["thresholds"], is_open=is_open)
        override = overrides.get(sid)
        if override and parse_time(override["expires_at"]) <= at:
            override = None
        if override and is_open:
            level = override["level"]
        confirmed = confirmations.get(sid, {}).get("confirmed_at")
        candidates = [t for t in (confirmed, last_counted.get(sid), shelter["opened_at"],
                                  override and override["set_at"]) if t]
        updated_at = max(candidates, key=parse_time) if candidates else shelter["state_changed_at"]
        # an open shelter without a confirmed count, or without any floor area to judge by, is 確認中
        stale = bool(is_open and (updated_at is None or general_capacity <= 0 or sid in silent or
                                  at - parse_time(updated_at) > timedelta(minutes=rules["stale_minutes"])))
        out.append({
            "id": sid,
            "kyotsu_id": shelter["kyotsu_id"],
            "name": shelter["name"],
            "name_en": shelter["name_en"],
            "lat": shelter["lat"],
            "lon": shelter["lon"],
            "state": shelter["state"],
            "hidden": bool(shelter["hidden"]),
            "occupancy": occupancy,
            "capacity": general_capacity,
            "level": level,
            "stale": stale,
            "updated_at": updated_at,
            "m2_per_person": m2,
            "present": total,
            "spaces": spaces,
            "zones": zone_rows,
            "unplaced": unplaced,  # checked in, not yet placed in a zone by staff
            "undecided": undecided,  # of them, those no zone row counts (区画未定)
            "override": override and {k: override[k] for k in ("level", "reason", "set_by", "expires_at")},
            "confirmed_at": confirmed,
        })
    return out


def snapshot(db, config, shelter_id, **kwargs):
    """One shelter's occupancy (see snapshots()). :raise NotFound:"""
    found = snapshots(db, config, ids=[shelter_id], **kwargs)
    if not found:
        raise NotFound("避難所が見つかりません。", "No such shelter.")
    return found[0]


# the public record: what phones, feeds and maps may show; nothing else leaves the building
PUBLIC_KEYS = ("kyotsu_id", "name", "name_en", "lat", "lon", "state", "occupancy", "capacity", "level",
               "stale", "updated_at", "m2_per_person")


def public_record(snap):
    """The part of a snapshot the public may see: no zone detail, no special spaces, no names."""
    return {key: snap[key] for key in PUBLIC_KEYS}


def public_snapshots(db, config, **kwargs):
    """Occupancy of every shelter the public may see (shelters.is_public: never a hidden one)."""
    from .shelters import is_public

    return [public_record(s) for s in snapshots(db, config, **kwargs) if is_public(s)]


# --- where else to go ---

def has_space(snap):
    return snap["state"] == "open" and snap["level"] != "full" and snap["capacity"] > snap["occupancy"]


def with_space(snaps):
    """The open shelters with places left and a position: where an alert may send people."""
    return [s for s in snaps if has_space(s) and s["lat"] is not None and s["lon"] is not None]


def nearest_with_space(snaps, lat, lon, *, limit=3, exclude=None, candidates=None):
    """Open shelters with places left, nearest first: [(snapshot, km)]. `candidates` (with_space(snaps))
    saves finding them again when asking for many shelters at once (HQ's alerts over a prefecture)."""
    if lat is None or lon is None:
        return []
    pool = [s for s in (with_space(snaps) if candidates is None else candidates) if s["id"] != exclude]
    # a flat-earth distance picks the few closest cheaply; the great-circle one orders them
    stretch = math.cos(math.radians(lat))
    near = heapq.nsmallest(limit + 5, pool, key=lambda s: (s["lat"] - lat) ** 2 + ((s["lon"] - lon) * stretch) ** 2)
    found = sorted(((s, geo.distance_km((lon, lat), (s["lon"], s["lat"]))) for s in near), key=lambda pair: pair[1])
    return found[:limit]


def alert_share(config):
    """The share of capacity at which HQ is alerted (where 満 begins)."""
    return parse_thresholds(config["LEVEL_THRESHOLDS"])[2]


def alerts(snaps, config):
    """Open shelters at or over the alert share (or set to 満), each with the nearest shelters with space."""
    share = alert_share(config)
    candidates = with_space(snaps)
    out = []
    for snap in snaps:
        if snap["state"] != "open":
            continue
        over = snap["capacity"] <= 0 and snap["occupancy"] > 0 or \
            snap["capacity"] > 0 and snap["occupancy"] / snap["capacity"] >= share
        if over or snap["level"] == "full":
            out.append({"shelter": snap, "nearest": nearest_with_space(snaps, snap["lat"], snap["lon"],
                                                                        exclude=snap["id"], candidates=candidates)})
    return out


def totals(snaps):
    """Sums over the shelters that are open."""
    open_snaps = [s for s in snaps if s["state"] == "open"]
    return {
        "open": len(open_snaps),
        "present": sum(s["present"] for s in open_snaps),
        "occupancy": sum(s["occupancy"] for s in open_snaps),
        "capacity": sum(s["capacity"] for s in open_snaps),
        "stale": sum(1 for s in open_snaps if s["stale"]),
        "full": sum(1 for s in open_snaps if s["level"] == "full"),
    }
