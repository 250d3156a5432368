"""Closing a shelter (撤収): consolidation into another shelter, the handover export to HQ, then the purge.

The order is enforced: residents moved (0 present) → closed → final report → handover export
(logged: who, when, which rows, why) → purge of personal data (privacy.purge: by hand, or
RETENTION_DAYS after closing). A purge before the export is refused.
"""
import csv
import io
import zipfile

from sqlite_utils.migrations import Migrations

from ..db import parse_time, write
from ..eventlog import applies, done, emit
from . import access, households, privacy, reports, shelters
from .errors import Conflict, Invalid
from .text import csv_row

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


REMOVED = privacy.REMOVED


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

def consolidate(db, from_id, to_id, *, actor, role=None, confirmed=False, op=None):
    """Move everyone checked in at shelter A (households and count-only heads) to open shelter B in one
    transaction; A goes to 閉鎖準備 so nobody new is admitted. Returns {"households", "persons", "heads", "to"}."""
    who = access.acting(actor, role)
    if not confirmed:
        raise Conflict("統合するには確認が必要です。", "Consolidation needs confirmation.")
    with write(db):
        source = shelters.get(db, from_id)
        access.require(who, "consolidate", source["id"])
        target = shelters.get(db, to_id)
        first = done(db, op, kind="shelter.consolidated")
        if first is not None:
            return {**{k: first.data[k] for k in ("households", "persons", "heads")}, "to": target}
        if source["id"] == target["id"]:
            raise Invalid("移送先に同じ避難所は選べません。", "Choose another shelter to move people to.")
        if target["state"] != "open":
            raise Conflict(f"移送先の{target['name']}は開設していません。",
                           f"{target.get('name_en') or target['name']} is not open; choose an open shelter.")
        if source["state"] not in ("open", "closing"):
            raise Conflict("開設中か閉鎖準備中の避難所だけ統合できます。",
                           "Only an open or closing shelter can be consolidated.")
        if source["state"] == "open":
            shelters.transition(db, source["id"], "closing", actor=who, confirmed=True,
                                reason=f"統合 → {target['kyotsu_id'] or target['name']}")
        moved = households.move_everyone(db, source["id"], target["id"], actor=who)
        persons, heads = moved["persons"], moved["heads"]
        emit(db, "shelter.consolidated", {"to": target["id"], "households": moved["households"], "persons": persons,
                                          "heads": heads}, actor=who, shelter_id=source["id"], op=op)
    return {"households": moved["households"], "persons": persons, "heads": heads, "to": target}



def _closing_row(db, shelter_id, **values):
    """Write some of a shelter's closing facts (its row made on first use)."""
    names = ", ".join(values)
    db.execute(f"insert into closings (shelter_id, {names}) values (?, {', '.join('?' * len(values))}) "
               f"on conflict (shelter_id) do update set {', '.join(f'{k} = excluded.{k}' for k in values)}",
               [shelter_id, *values.values()])


@applies("shelter.consolidated", live=False)
def _consolidated(db, e):
    _closing_row(db, e.shelter_id, consolidated_to=e.data["to"], consolidated_at=e.at)


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
            writer.writerow(csv_row(_value(values.get(key)) for key, _ja in ROSTER_COLUMNS))
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
        writer.writerow(csv_row([*row[:4], payload]))
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


def export(db, shelter_id, *, actor, role=None, reason, render_pdf=None):
    """The handover to HQ: a ZIP of the roster (CSV, and PDF when `render_pdf(shelter, zones)` is given: the web
    and CLI pass offline_print's roster) and the event log. Recorded as an export event (who, when, which rows,
    why). Returns {"filename", "data", "files", "event_id", "households", "persons"}."""
    who = access.acting(actor, role)
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
    access.require(who, "export_handover", shelter["id"])
    check(shelter)
    if status(db, shelter["id"])["purged"]:
        raise Conflict("この避難所の個人情報はすでに消去されています。引き渡し済みのファイルを使ってください。",
                       "This shelter's personal data was already removed; use the handover made before.")
    roster = handover_roster(db, shelter["id"])
    hidden = privacy.hidden_values(db, shelter["id"])
    files = {"roster.csv": roster_csv(roster), "events.csv": events_csv(db, shelter["id"], hidden)}
    if render_pdf is not None:
        files["roster.pdf"] = render_pdf(shelter, roster_zones(db, shelter, roster))
    with write(db):
        shelter = shelters.get(db, shelter_id)
        check(shelter)
        # the audit of a disclosure outlives the purge: who, when, why, which rows (ids, counts; no one's name)
        event = emit(db, "handover.exported", {
            "reason": reason, "files": sorted(files),
            "households": [h["id"] for h in roster], "persons": sum(len(h["persons"]) for h in roster)},
            actor=who, shelter_id=shelter["id"])
        stamp, event_id = event.at, event.id
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    filename = f"handover-{shelter['kyotsu_id'] or shelter['id']}-{stamp[:10]}.zip"
    return {"filename": filename, "data": data.getvalue(), "files": sorted(files), "event_id": event_id,
            "households": len(roster), "persons": sum(len(h["persons"]) for h in roster)}


@applies("handover.exported", live=False)
def _exported(db, e):
    _closing_row(db, e.shelter_id, exported_at=e.at, exported_by=e.actor.user, export_event=e.id)


def exports(db, shelter_id=None):
    """Export events, newest first (who, when, why, which rows)."""
    return [e for e in _events(db, "handover.exported", shelter_id)]


def _events(db, kind, shelter_id):
    from ..db import events

    return events(db, shelter_id=shelter_id, kind=kind, limit=1000)
