"""Closing a shelter (撤収): consolidation into another shelter, the handover export to HQ, then the purge.

The order is enforced: residents moved (0 present) → closed → final report → handover export
(logged: who, when, which rows, why) → purge of personal data (by hand, or RETENTION_DAYS after
closing). A purge before the export is refused.
"""
import csv
import io
import json
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

from sqlite_utils.migrations import Migrations

from ..db import now, parse_time, record_event, write
from . import households, inquiries, reports, shelters
from .errors import Conflict, Forbidden, Invalid

migrations = Migrations("closing")


@migrations()
def create_closing(db):
    db["closings"].create(
        {
            "shelter_id": str,
            "consolidated_to": str,
            "consolidated_at": str,
            "exported_at": str,
            "exported_by": str,
            "export_event": str,
            "purged_at": str,
            "purged_by": str,
        },
        pk="shelter_id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    # what is left of a shelter's residents after the purge: counts, no one
    db["purge_summaries"].create(
        {
            "id": str,
            "shelter_id": str,
            "purged_at": str,
            "households": int,
            "persons": int,
            "counts": str,  # JSON: by sex, age band, care-need code, place of stay, status
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    db["purge_summaries"].create_index(["shelter_id"])


@migrations()
def add_compacted_at(db):
    # when the file was last compacted after this shelter's purge; null = a compaction is still owed
    db["closings"].add_column("compacted_at", str)


CLOSING_ROLES = ("lead", "hq")
REMOVED = "[削除]"


def _require_role(role):
    if role not in CLOSING_ROLES:
        raise Forbidden("この操作は避難所責任者か本部だけができます。", "Only a shelter lead or HQ can do this.")


def status(db, shelter_id):
    """Where a shelter stands on its way out: {"state", "present", "final_report", "exported_at", "purged_at",
    "consolidated_to", "next"} with `next` one of consolidate | close | final_report | export | purge | done."""
    shelter = shelters.get(db, shelter_id)
    row = db.execute("select consolidated_to, consolidated_at, exported_at, exported_by, purged_at, purged_by "
                     "from closings where shelter_id = ?", [shelter["id"]]).fetchone()
    keys = ("consolidated_to", "consolidated_at", "exported_at", "exported_by", "purged_at", "purged_by")
    info = dict(zip(keys, row)) if row else dict.fromkeys(keys)
    present = shelters.present_count(db, shelter["id"])
    exported = _exported_since_closing(shelter, info)
    info.update({"state": shelter["state"], "present": present, "final_report": reports.has_final(db, shelter["id"]),
                 "exported": exported, "purged": exported and _after(info["purged_at"], info["exported_at"])})
    if shelter["state"] in ("standby", "opening"):
        info["next"] = "done" if info["purged"] or not info["exported_at"] else "purge"
    elif present:
        info["next"] = "consolidate"
    elif shelter["state"] != "closed":
        info["next"] = "close"
    elif not info["final_report"]:
        info["next"] = "final_report"
    elif not exported:
        info["next"] = "export"
    elif not info["purged"]:
        info["next"] = "purge"
    else:
        info["next"] = "done"
    return info


def _after(later, earlier):
    """later >= earlier for two ISO times (compared as times, whatever their offsets)."""
    return bool(later and earlier and parse_time(later) >= parse_time(earlier))


def _exported_since_closing(shelter, info):
    return _after(info.get("exported_at"), shelter["closed_at"])


# --- consolidation (統合) ---

def consolidate(db, from_id, to_id, *, actor, role, confirmed=False):
    """Move everyone checked in at shelter A (households and count-only heads) to open shelter B in one
    transaction; A goes to 閉鎖準備 so nobody new is admitted. Returns {"households", "persons", "heads"}."""
    _require_role(role)
    if not confirmed:
        raise Conflict("統合するには確認が必要です。", "Consolidation needs confirmation.")
    with write(db):
        source = shelters.get(db, from_id)
        target = shelters.get(db, to_id)
        if source["id"] == target["id"]:
            raise Invalid("移送先に同じ避難所は選べません。", "Choose another shelter to move people to.")
        if target["state"] != "open":
            raise Conflict(f"移送先の{target['name']}は開設していません。",
                           f"{target.get('name_en') or target['name']} is not open; choose an open shelter.")
        if source["state"] not in ("open", "closing"):
            raise Conflict("開設中か閉鎖準備中の避難所だけ統合できます。",
                           "Only an open or closing shelter can be consolidated.")
        if source["state"] == "open":
            shelters.transition(db, source["id"], "closing", actor=actor, role=role, confirmed=True,
                                reason=f"統合 → {target['kyotsu_id'] or target['name']}")
        moved = db.execute("select id from households where shelter_id = ? and status = 'checked_in'",
                           [source["id"]]).fetchall()
        persons = 0
        for (household_id,) in moved:
            result = households.transfer(db, household_id, target["id"], actor=actor, from_shelter_id=source["id"])
            persons += sum(1 for p in result["household"]["persons"] if p["status"] != "out")
        heads = 0
        for (sex, band), n in households.headcounts(db, source["id"])["groups"].items():
            for _ in range(n):
                households.count_head(db, source["id"], sex, band, actor=actor, delta=-1)
                households.count_head(db, target["id"], sex, band, actor=actor, delta=1)
                heads += 1
        stamp = now()
        db["closings"].upsert({"shelter_id": source["id"], "consolidated_to": target["id"], "consolidated_at": stamp},
                              pk="shelter_id")
        record_event(db, "shelter.consolidated", actor=actor, shelter_id=source["id"],
                     payload={"to": target["id"], "households": len(moved), "persons": persons, "heads": heads})
    return {"households": len(moved), "persons": persons, "heads": heads, "to": target}


# --- the handover export ---

ROSTER_COLUMNS = [
    ("reception_number", "受付番号"), ("status", "状態"), ("staying", "滞在場所"), ("checked_in_at", "入所日時"),
    ("checked_out_at", "退所日時"), ("transferred_from", "移送元"), ("address", "住所"), ("postcode", "郵便番号"),
    ("phone", "電話番号"), ("emergency_contact", "緊急連絡先"), ("home_damage", "住家の被害"), ("pets", "ペット"),
    ("vehicle", "車両"), ("consent", "安否確認の同意"), ("name", "氏名"), ("kana", "ふりがな"), ("sex", "性別"),
    ("birth_date", "生年月日"), ("age", "年齢"), ("relation", "続柄"), ("nationality", "国籍"), ("language", "言語"),
    ("person_status", "個人の状態"), ("injury_illness", "負傷・疾病"), ("care_codes", "要配慮"),
    ("allergens", "アレルギー"), ("allergens_other", "その他のアレルギー"), ("medication", "服薬"),
    ("medical_devices", "医療機器"), ("diet", "食事制限"), ("notes", "備考"),
]
ALL_STATUSES = tuple(households.HOUSEHOLD_STATUSES)


def handover_roster(db, shelter_id):
    """Every household registered at the shelter (in or out) with its persons. A household with a 非公開 person
    is left out whole (its address, phone and members would give the person away): never disclosed in any
    export (DOMAIN.md §8); such cards go to HQ on the restricted path."""
    return [h for h in households.roster(db, shelter_id, include_sensitive=True, include_hidden=False,
                                         statuses=ALL_STATUSES) if h["persons"] and not h["hidden_persons"]]


def _value(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def roster_csv(roster):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ja for _key, ja in ROSTER_COLUMNS])
    for household in roster:
        for person in household["persons"]:
            values = {**household, **person, "person_status": person.get("status"), "status": household["status"]}
            writer.writerow([_value(values.get(key)) for key, _ja in ROSTER_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def events_csv(db, shelter_id, hidden_values=()):
    """The shelter's event log, oldest first, with the values of 非公開 persons masked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "at", "actor", "kind", "payload"])
    for row in db.execute("select id, at, actor, kind, payload from events where shelter_id = ? order by at, rowid",
                          [shelter_id]):
        payload = row[4] or ""
        for value in hidden_values:
            payload = payload.replace(value, REMOVED)
        writer.writerow([*row[:4], payload])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def roster_zones(db, shelter, roster):
    """The handover roster shaped for offline_print.roster.render(): zones → households → persons."""
    names = {z["id"]: z["name"] for z in shelters.zones(db, shelter["id"])}
    grouped = {}
    for household in roster:
        persons = []
        for person in household["persons"]:
            relation = person.get("relation") or ""
            if person.get("status") == "out" or household["status"] != "checked_in":
                relation = (relation + " 退所").strip()
            persons.append({"name": person.get("name") or "", "kana": person.get("kana") or "",
                            "sex": households.SEXES.get(person.get("sex"), ("",))[0], "age": person.get("age"),
                            "relation": relation, "care": " ".join(person.get("care_codes") or []),
                            "health": "・".join(str(v) for v in [*(person.get("allergens") or []),
                                                                 *(person.get(k) for k in (
                                                                     "allergens_other", "injury_illness",
                                                                     "medication", "medical_devices", "diet"))]
                                               if v)})
        zone = names.get(household.get("zone_id"), "未割当 Not placed")
        grouped.setdefault(zone, []).append({"number": household["display_number"],
                                             "checked_in_at": household["checked_in_at"], "persons": persons})
    return [{"name": name, "households": items} for name, items in grouped.items()]


def export(db, shelter_id, *, actor, role, reason, render_pdf=None):
    """The handover to HQ: a ZIP of the roster (CSV, and PDF when `render_pdf(shelter, zones)` is given: the web
    and CLI pass offline_print's roster) and the event log. Recorded as an export event (who, when, which rows,
    why). Returns {"filename", "data", "files", "event_id", "households", "persons"}."""
    _require_role(role)
    reason = " ".join(str(reason or "").split())[:500]
    if not reason:
        raise Invalid("引き渡しの理由を入力してください（例: 閉鎖に伴う本部への引き渡し）。",
                      "Give the reason for the export (e.g. handover to HQ on closing).")
    def check(shelter):
        if shelter["state"] != "closed":
            raise Conflict("引き渡しは閉鎖した避難所だけです。先に閉鎖してください。",
                           "Only a closed shelter is handed over. Close it first.")
        if not reports.has_final(db, shelter["id"]):
            raise Conflict("先に最終報告を本部に送ってください。", "Send the final report to HQ first.")

    # built outside the write lock (the PDF takes a second for a large roster); a closed shelter's roster
    # does not change meanwhile, and the state is checked again when the export is recorded
    shelter = shelters.get(db, shelter_id)
    check(shelter)
    if status(db, shelter["id"])["purged"]:
        raise Conflict("この避難所の個人情報はすでに消去されています。引き渡し済みのファイルを使ってください。",
                       "This shelter's personal data was already removed; use the handover made before.")
    roster = handover_roster(db, shelter["id"])
    hidden = _personal_values(db, shelter["id"], only_hidden=True)
    files = {"roster.csv": roster_csv(roster), "events.csv": events_csv(db, shelter["id"], hidden)}
    if render_pdf is not None:
        files["roster.pdf"] = render_pdf(shelter, roster_zones(db, shelter, roster))
    with write(db):
        shelter = shelters.get(db, shelter_id)
        check(shelter)
        stamp = now()
        event_id = record_event(db, "handover.exported", actor=actor, shelter_id=shelter["id"], payload={
            "reason": reason, "files": sorted(files),
            "households": [h["id"] for h in roster], "persons": sum(len(h["persons"]) for h in roster)})
        db["closings"].upsert({"shelter_id": shelter["id"], "exported_at": stamp, "exported_by": actor,
                               "export_event": event_id}, pk="shelter_id")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    filename = f"handover-{shelter['kyotsu_id'] or shelter['id']}-{stamp[:10]}.zip"
    return {"filename": filename, "data": data.getvalue(), "files": sorted(files), "event_id": event_id,
            "households": len(roster), "persons": sum(len(h["persons"]) for h in roster)}


def exports(db, shelter_id=None):
    """Export events, newest first (who, when, why, which rows)."""
    return [e for e in _events(db, "handover.exported", shelter_id)]


def _events(db, kind, shelter_id):
    from ..db import events

    return events(db, shelter_id=shelter_id, kind=kind, limit=1000)


# --- the purge ---

# Personal columns of other areas' tables, keyed by the shelter_id of the row. A domain module can declare
# its own with a module-level PERSONAL_COLUMNS = {table: [columns]} (as households does); these are the
# ones known here in case it does not.
OTHER_PERSONAL_COLUMNS = {"resident_requests": ["name", "room"]}


def other_personal_columns(db):
    """{table: [columns]} of personal data outside households/persons, for tables that exist and have shelter_id."""
    import importlib
    import pkgutil

    from .. import domain

    found = {table: list(cols) for table, cols in OTHER_PERSONAL_COLUMNS.items()}
    for info in pkgutil.iter_modules(domain.__path__):
        if info.name in ("households", "closing"):
            continue
        module = importlib.import_module(f"{domain.__name__}.{info.name}")
        for table, cols in (getattr(module, "PERSONAL_COLUMNS", None) or {}).items():
            found.setdefault(table, [])
            found[table] += [c for c in cols if c not in found[table]]
    tables = set(db.table_names())
    out = {}
    for table, cols in found.items():
        if table in tables:
            columns = {c.name for c in db[table].columns}
            present = [c for c in cols if c in columns]
            if "shelter_id" in columns and present:
                out[table] = present
    return out


# vocabulary-like columns: blanked in their rows, but not searched for elsewhere ("妻", "ja" are no one)
NOT_IDENTIFYING = {"relation", "nationality", "language", "home_damage", "age", "care_codes", "allergens"}


def _personal_values(db, shelter_id, *, only_hidden=False):
    """Every identifying value (≥ 2 characters) of the shelter's households and persons, longest first."""
    values = set()
    hcols = [c for c in households.PERSONAL_COLUMNS["households"] if c not in NOT_IDENTIFYING]
    pcols = [c for c in households.PERSONAL_COLUMNS["persons"] if c not in NOT_IDENTIFYING]
    hidden_filter = (" and exists (select 1 from persons q where q.household_id = h.id and q.non_disclosure = 1)"
                     if only_hidden else "")
    if not only_hidden:
        for row in db.execute(f"select {', '.join(hcols)} from households where shelter_id = ?", [shelter_id]):
            values.update(_strings(row))
    for row in db.execute(f"select {', '.join('p.' + c for c in pcols)} from persons p join households h "
                          f"on h.id = p.household_id where h.shelter_id = ?{hidden_filter}", [shelter_id]):
        values.update(_strings(row))
    if not only_hidden:
        for table, cols in other_personal_columns(db).items():
            for row in db.execute(f"select {', '.join(f'[{c}]' for c in cols)} from [{table}] where shelter_id = ?",
                                  [shelter_id]):
                values.update(_strings(row))
    if only_hidden:  # the household's contact details identify a hidden person too
        for row in db.execute(f"select {', '.join('h.' + c for c in hcols)} from households h where h.shelter_id = ? "
                              f"and exists (select 1 from persons p where p.household_id = h.id "
                              f"and p.non_disclosure = 1)", [shelter_id]):
            values.update(_strings(row))
    return sorted(values, key=len, reverse=True)


def _strings(row):
    out = set()
    for value in row:
        if value is None or isinstance(value, (int, float)):
            continue
        text = str(value)
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            continue  # code lists (care codes, allergen keys) are vocabulary, not a person
        text = text.strip()
        if len(text) >= 2:
            out.add(text)
            escaped = json.dumps(text)[1:-1]  # as a payload written with ensure_ascii would hold it
            if escaped != text:
                out.add(escaped)
    return out


def _summary(db, shelter_id):
    counts = {"sex": {}, "age_band": {}, "care": {}, "staying": {}, "status": {}}
    households_n = db.execute("select count(*) from households where shelter_id = ?", [shelter_id]).fetchone()[0]
    persons_n = 0
    for sex, band, care, staying, status in db.execute(
            "select p.sex, p.age_band, p.care_codes, h.staying, h.status from persons p join households h "
            "on h.id = p.household_id where h.shelter_id = ?", [shelter_id]):
        persons_n += 1
        for key, value in (("sex", sex), ("age_band", band), ("staying", staying), ("status", status)):
            counts[key][value or "unknown"] = counts[key].get(value or "unknown", 0) + 1
        for code in json.loads(care or "[]"):
            counts["care"][code] = counts["care"].get(code, 0) + 1
    return households_n, persons_n, counts


def _scrub_tables(db, shelter_id, values):
    """Replace the values in every text cell of the shelter's rows in any table with a shelter_id, in the
    shelter's events, and in the inquiry log."""
    skip = {"households", "persons", "shelters", "zones", "purge_summaries", "closings"}
    targets = []
    for table in db.table_names():
        if table in skip or table.startswith(("sqlite_", "_")):
            continue
        columns = {c.name: c.type for c in db[table].columns}
        texts = [name for name, kind in columns.items() if kind.upper() in ("TEXT", "")
                 and name not in ("id", "kind", "actor", "at") and not name.endswith(("_id", "_at"))]
        if table == "inquiries":
            targets.append((table, texts, "1 = 1", []))
        elif "shelter_id" in columns:
            targets.append((table, [c for c in texts if c != "shelter_id"], "shelter_id = ?", [shelter_id]))
    if not values:
        return 0
    # one pass over each cell with every value at once, longest first (a name inside an address goes with it)
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    changed = 0
    for table, columns, where, args in targets:
        if not columns:
            continue
        selected = ", ".join(f"[{c}]" for c in columns)
        rows = db.execute(f"select rowid, {selected} from [{table}] where {where}", args).fetchall()
        for rowid, *cells in rows:
            updates = {}
            for column, cell in zip(columns, cells):
                if isinstance(cell, str) and pattern.search(cell):
                    updates[column] = pattern.sub(REMOVED, cell)
            if updates:
                db.execute(f"update [{table}] set {', '.join(f'[{c}] = ?' for c in updates)} where rowid = ?",
                           [*updates.values(), rowid])
                changed += len(updates)
    return changed


def purge(db, shelter_id, *, actor, role, compact=True):
    """Remove the shelter's personal data: names, contacts and needs become anonymous counts (a summary row),
    the event log keeps what happened but not who. Refused (409) before the handover export.
    Returns {"households", "persons", "cells"}."""
    _require_role(role)
    previous = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete=ON")  # freed space is overwritten with zeros, not left readable
    try:
        with write(db):
            shelter = shelters.get(db, shelter_id)
            info = status(db, shelter["id"])
            if shelter["state"] != "closed":
                raise Conflict("個人情報の消去は閉鎖した避難所だけです。",
                               "Personal data is removed only from a closed shelter.")
            if not info["exported"]:
                raise Conflict("本部への引き渡し（名簿の出力）の前には消去できません。先に引き渡してください。",
                               "Personal data cannot be removed before the handover export to HQ. Export first.")
            values = _personal_values(db, shelter["id"])
            names = [n for row in db.execute("select p.name, p.kana from persons p join households h "
                                             "on h.id = p.household_id where h.shelter_id = ?", [shelter["id"]])
                     for n in row if n]
            inquiries.forget_shelter(db, shelter["id"], names, removed=REMOVED)
            households_n, persons_n, counts = _summary(db, shelter["id"])
            ids = [r[0] for r in db.execute("select id from households where shelter_id = ?", [shelter["id"]])]
            hcols = households.PERSONAL_COLUMNS["households"]
            pcols = households.PERSONAL_COLUMNS["persons"]
            marks = ",".join("?" * len(ids))
            if ids:
                db.execute(f"update households set {', '.join(c + ' = null' for c in hcols)} where id in ({marks})",
                           ids)
                db.execute(f"update persons set {', '.join(c + ' = null' for c in pcols)}, non_disclosure = 0 "
                           f"where household_id in ({marks})", ids)
            for table, cols in other_personal_columns(db).items():
                db.execute(f"update [{table}] set {', '.join(f'[{c}] = null' for c in cols)} where shelter_id = ?",
                           [shelter["id"]])
            if "resident_request_throttle" in db.table_names():
                db.execute("delete from resident_request_throttle where shelter_id = ?", [shelter["id"]])
            cells = _scrub_tables(db, shelter["id"], values)
            stamp = now()
            from ..db import new_id

            db["purge_summaries"].insert({"id": new_id(), "shelter_id": shelter["id"], "purged_at": stamp,
                                          "households": households_n, "persons": persons_n,
                                          "counts": json.dumps(counts, sort_keys=True)})
            db["closings"].upsert({"shelter_id": shelter["id"], "purged_at": stamp, "purged_by": actor},
                                  pk="shelter_id")
            record_event(db, "handover.purged", actor=actor, shelter_id=shelter["id"],
                         payload={"households": households_n, "persons": persons_n})
    finally:
        db.execute(f"PRAGMA secure_delete={int(previous)}")
    compacted = compact_file(db) if compact else False
    return {"households": households_n, "persons": persons_n, "cells": cells, "compacted": compacted}


def compact_file(db, attempts=10):
    """Leave no old page behind: checkpoint the WAL into the file and truncate it, rebuild the file (VACUUM),
    and checkpoint again. Returns True when done; False when another connection kept it from finishing (a
    long read): the purge stays owed a compaction, which `purge_due` (app start, `shelter-ops purge --due`)
    retries."""
    import sqlite3
    import time

    # a TRUNCATE checkpoint waits the whole busy timeout for each reader: keep each try short
    timeout = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout=100")
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        for _ in range(attempts):
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                break
            time.sleep(0.05)
        else:
            return False
    except sqlite3.OperationalError:
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout={int(timeout)}")
    db.execute("update closings set compacted_at = ? where purged_at is not null and compacted_at is null", [now()])
    db.conn.commit()
    return True


def compaction_owed(db):
    return db.execute("select 1 from closings where purged_at is not null and compacted_at is null").fetchone() is not None


def summaries(db, shelter_id):
    cur = db.execute("select * from purge_summaries where shelter_id = ? order by purged_at", [shelter_id])
    cols = [c[0] for c in cur.description]
    return [{**dict(zip(cols, r)), "counts": json.loads(r[cols.index("counts")])} for r in cur.fetchall()]


def purge_due(db, today, *, retention_days=30, actor="retention"):
    """Purge every shelter handed over and closed `retention_days` or more before `today` (a date, by calendar
    day in UTC). Returns {"purged": [shelter ids], "not_exported": [shelter ids]}: a closed shelter never handed
    over is not purged (its roster would be lost) but listed, so HQ can export it."""
    if isinstance(today, str):
        today = date.fromisoformat(today[:10])
    elif isinstance(today, datetime):
        today = today.astimezone(timezone.utc).date()
    cutoff = today - timedelta(days=retention_days)
    out = {"purged": [], "not_exported": []}
    for shelter in shelters.list_all(db, state="closed"):
        if not shelter["closed_at"] or parse_time(shelter["closed_at"]).astimezone(timezone.utc).date() > cutoff:
            continue
        info = status(db, shelter["id"])
        if info["purged"]:
            continue
        if not info["exported"]:
            out["not_exported"].append(shelter["id"])
            continue
        purge(db, shelter["id"], actor=actor, role="hq", compact=False)
        out["purged"].append(shelter["id"])
    if out["purged"] or compaction_owed(db):
        compact_file(db)
    return out
