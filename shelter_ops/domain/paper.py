"""What each printed document needs, as plain data: public facts for maps and posters, the roster for staff."""
import warnings
from datetime import datetime
from pathlib import Path

from ..db import now, write
from ..eventlog import emit, log_only
from . import capacity, clock, codes, daylog, households, numbering, reports, shelters, supplies
from .errors import Invalid

UNPLACED = ("未割当", "Not placed")

log_only("print.roster")


NO_PUBLIC_URL = ("QRコードの宛先がありません。SHELTER_OPS_PUBLIC_URL に、スマートフォンから届くこのアプリのアドレス"
                 "（例 http://192.168.1.10:5000）を設定してから印刷してください。",
                 "No address for the QR codes: set SHELTER_OPS_PUBLIC_URL to the address phones reach this app at "
                 "(e.g. http://192.168.1.10:5000), then print again.")


def public_url(config, path="", base=None):
    """The address a printed QR code carries: PUBLIC_URL when set, else `base` (the address the
    request came in on). Neither: refused, so no code on paper points at a dead address."""
    root = (config.get("PUBLIC_URL") or base or "").rstrip("/")
    if not root:
        raise Invalid(*NO_PUBLIC_URL)
    return root + path


def door_url(config, shelter, base=None):
    """The self-registration page a door poster's QR code opens (the check-in area builds it)."""
    return public_url(config, f"/door/{shelters.ref(shelter)}", base)


def qr_addresses(config, shelter=None, base=None):
    """{document: address its QR code will carry}, for the print screen to show before printing."""
    addresses = {"map": public_url(config, "/public/", base)}
    if shelter is not None:
        addresses["poster"] = door_url(config, shelter, base)
    return addresses


def _public_level(snap):
    """The level a public printout shows: none (確認中) when the count is stale."""
    if snap["state"] != "open":
        return "closed"
    return None if snap.get("stale") else snap["level"]


# --- the city map (public output: only public_snapshots, which cannot carry personal data) ---

def map_data(db, config, *, with_sites=True, base=None):
    """{shelters, sites, data_date, qr_url} for offline_print.map.render."""
    snaps = capacity.public_snapshots(db, config)
    numbers = numbering.shelter_numbers(snaps)  # as on the public page
    items = [{"name": s["name"], "name_en": s["name_en"], "lat": s["lat"], "lon": s["lon"], "state": s["state"],
              "level": _public_level(s), "capacity": s["capacity"] if s["capacity"] else None,
              "ref": s["kyotsu_id"], "number": numbers[numbering.key_of(s)]} for s in snaps]
    sites = [{"name": s["name"], "lat": s["lat"], "lon": s["lon"], "hazards": s["hazards"]}
             for s in shelters.sites(db)] if with_sites else []
    stamps = [s["updated_at"] for s in snaps if s.get("updated_at")]
    row = db.execute("select max(updated_at) from shelters").fetchone()
    if row and row[0]:
        stamps.append(row[0])
    return {"shelters": items, "sites": sites, "data_date": max(stamps) if stamps else None,
            "qr_url": public_url(config, "/public/", base)}


def map_layers(config):
    """The basemap layers named in MAP_LAYERS (comma-separated GeoJSON paths); a missing file is skipped."""
    from offline_print.geo import read_layer

    layers = []
    for raw in str(config.get("MAP_LAYERS") or "").split(","):
        path = raw.strip()
        if not path:
            continue
        try:
            layers.append(read_layer(path))
        except (OSError, ValueError) as error:  # print the map anyway: the layer is decoration
            warnings.warn(f"MAP_LAYERS: cannot read {path}: {error}")
    return layers


# --- one shelter ---

def poster_data(db, config, shelter, base=None):
    snap = capacity.snapshot(db, config, shelter["id"])
    return {"name": shelter["name"], "name_en": shelter["name_en"] or "", "url": door_url(config, shelter, base),
            "state": shelter["state"], "level": _public_level(snap),
            "capacity": snap["capacity"] or None, "municipality": config.get("MUNICIPALITY_NAME", "")}


def floor_data(db, config, shelter):
    snap = capacity.snapshot(db, config, shelter["id"])
    zones = []
    for zone in snap["zones"]:
        ja, en = shelters.ZONE_KINDS.get(zone["kind"], (zone["kind"], zone["kind"]))
        places = zone["kind"] not in capacity.NO_PLACES_KINDS
        zones.append({"name": zone["name"], "kind": zone["kind"], "kind_ja": ja, "kind_en": en,
                      "capacity": zone["capacity"] if places else None,
                      "present": zone["occupancy"] if places else None})
    if snap["undecided"]:  # so the sheet's figures add up to everyone inside
        ja, en = capacity.UNDECIDED_ZONE
        zones.append({"name": ja, "kind": "undecided", "kind_ja": ja, "kind_en": en, "capacity": None,
                      "present": snap["undecided"]})
    return {"name": shelter["name"], "name_en": shelter["name_en"] or "", "zones": zones}


def card_numbers(db, shelter, n, *, actor):
    """Reserve a block of reception numbers for pre-numbered cards (logged by codes.reserve_block)."""
    try:
        n = int(n)
    except (TypeError, ValueError):
        raise Invalid("枚数は数字で入力してください。", "Enter the number of cards as a number.") from None
    return codes.reserve_block(db, shelter["id"], n, actor=actor)


def card_vocabulary():
    """The household card's tick boxes, from the domain's vocabulary (printed as words, never codes)."""
    return {"care_codes": households.CARE_CODES, "allergens": list(households.ALLERGENS)}


def _health(person):
    parts = list(person.get("allergens") or [])
    if person.get("allergens_other"):
        parts.append(person["allergens_other"])
    for key in ("injury_illness", "medication", "medical_devices", "diet"):
        if person.get(key):
            parts.append(person[key])
    return "・".join(str(p) for p in parts)


def care_words(care_codes):
    """要配慮 codes as the words people read ("INF" means nothing on paper): 乳幼児連れ・アレルギー."""
    return "・".join(households.CARE_CODES.get(code, (code,))[0] for code in care_codes or ())


def roster_data(db, shelter, *, sensitive, actor):
    """Zones with their households and persons for the printed roster. The export is logged.

    sensitive=False (staff): no sensitive columns and no 非公開 persons at all — they come out of
    households.roster() already filtered, so the staff copy cannot carry them.
    """
    rows = households.roster(db, shelter["id"], include_sensitive=sensitive, include_hidden=sensitive)
    names = {z["id"]: z["name"] for z in shelters.zones(db, shelter["id"])}
    order = list(names) + [None]
    grouped = {zone_id: [] for zone_id in order}
    persons_printed = 0
    for household in rows:
        persons = []
        for person in household["persons"]:
            if person.get("status") == "out":
                continue
            entry = {"name": person.get("name") or "", "kana": person.get("kana") or "",
                     "sex": households.SEXES.get(person.get("sex"), ("",))[0], "age": households.age_of(person),
                     "relation": person.get("relation") or "",
                     "non_disclosure": bool(person.get("non_disclosure")) and sensitive}
            if person.get("status") == "away":
                entry["relation"] = (entry["relation"] + " 外泊中").strip()
            if sensitive:
                entry["care"] = care_words(person.get("care_codes"))
                entry["health"] = _health(person)
            persons.append(entry)
        if not persons:
            continue
        persons_printed += len(persons)
        zone_id = household.get("zone_id") if household.get("zone_id") in names else None
        grouped[zone_id].append({"number": household["display_number"], "checked_in_at": household["checked_in_at"],
                                 "persons": persons})
    zones = [{"name": names.get(zone_id) or f"{UNPLACED[0]} {UNPLACED[1]}", "households": grouped[zone_id]}
             for zone_id in order if grouped[zone_id]]
    with write(db):
        # who printed which roster, and how much of it: the record is the event (no table to write)
        emit(db, "print.roster", {"edition": "lead" if sensitive else "staff", "households": len(rows),
                                  "persons": persons_printed}, actor=actor, shelter_id=shelter["id"])
    return {"shelter_name": shelter["name"], "shelter_name_en": shelter["name_en"] or "", "zones": zones,
            "sensitive": sensitive}


def header(shelter, config):
    return {"name": shelter["name"], "name_en": shelter["name_en"] or "", "kyotsu_id": shelter["kyotsu_id"],
            "municipality_code": shelter["municipality_code"] or config.get("MUNICIPALITY_CODE", "")}


def report_data(db, config, shelter, *, blank=False, reporter=None):
    """The status report: blank (header only) or pre-filled with what the system knows now; the
    opening status in words (ja and en) and the reporter (the person printing it) written in."""
    vocabulary = {"shelter": header(shelter, config), "care_codes": households.CARE_CODES}
    if blank:
        return {**vocabulary, "report_no": None, "data": None, "reporter": None}
    draft = reports.draft(db, shelter["id"], config=config)
    data = dict(draft["data"])
    status = data.get("eei_status")
    if status:
        data["eei_status"] = f"{status} {shelters.EEI_STATUS_EN.get(status, '')}".strip()
    return {**vocabulary, "report_no": draft["no"], "data": data, "reporter": reporter}


def supplies_data(db, config, shelter):
    """The supply request form with the shelter's open requests written in."""
    return {"shelter": header(shelter, config), "requests": supplies.requests(db, shelter["id"], status="open")}


def log_data(db, config, shelter, day=None):
    """The daily log page for `day` (default today, Japan time), pre-filled from the 運営日誌 entries."""
    view = daylog.day_view(db, shelter["id"], day or clock.today())
    entries = {kind: [f"{clock.utc_to_local(e['at'])[11:16] if e.get('at') else ''} {e['text']}".strip()
                      for e in rows] for kind, rows in view["by_kind"].items()}
    return {"shelter": header(shelter, config), "day": view["day"], "headcounts": view["headcounts"],
            "entries": entries, "supplies": view["supplies"]}


def printed_at():
    """Print time: now, as an ISO string (offline_print shows it in local time)."""
    return datetime.fromisoformat(now())


def default_filename(kind, shelter=None):
    stem = f"{kind}-{shelters.ref(shelter)}" if shelter else kind
    return f"{stem}.pdf"


def exists(path):
    return Path(path).is_file()
