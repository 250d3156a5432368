"""Reports to HQ: 第1報 on opening, periodic 第N報 and the final report, with the national (EEI) attributes."""
import csv
import io
import json
from datetime import timedelta

from sqlite_utils.migrations import Migrations

from ..db import fetch_all, new_id, parse_time, write
from ..eventlog import applies, done, emit
from . import access, clock, households, privacy, shelters
from .errors import Invalid, NotFound
from .text import csv_row

migrations = Migrations("reports")


@migrations()
def create_reports(db):
    db["reports"].create(
        {
            "id": str,
            "shelter_id": str,
            "no": int,  # 第N報
            "kind": str,  # first | periodic | final
            "at": str,
            "reporter": str,
            "total": int,  # 避難者数, kept as columns for the history table and the chart
            "men": int,
            "women": int,
            "households": int,
            "data": str,  # JSON: every attribute, live and staff-entered
        },
        pk="id",
        foreign_keys=[("shelter_id", "shelters", "id")],
    )
    db["reports"].create_index(["shelter_id", "no"], unique=True)
    db["reports"].create_index(["at"])


KINDS = {
    "first": ("第1報", "First report"),
    "periodic": ("定時報告", "Periodic report"),
    "final": ("最終報告", "Final report"),
}

# 定員状況 (capacity status) as the national standard words it
CAPACITY_STATUS = {
    "vacant": ("空きあり", "Space available"),
    "crowded": ("混雑", "Crowded"),
    "full": ("満員", "Full"),
    "unknown": ("不明", "Unknown"),
}

SUFFICIENCY = {"enough": ("充足", "Enough"), "short": ("不足", "Short"), "none": ("なし", "None"),
               "unknown": ("不明", "Unknown")}

LIFELINES = {
    "electricity": ("電気", "Electricity"),
    "water": ("水道", "Water"),
    "gas": ("ガス", "Gas"),
    "phone": ("電話・通信", "Phone / network"),
    "toilets": ("トイレ", "Toilets"),
}
LIFELINE_STATES = {"ok": ("使用可", "Working"), "partly": ("一部不可", "Partly out"), "out": ("使用不可", "Out"),
                   "unknown": ("不明", "Unknown")}

SURROUNDINGS = {
    "fire": ("火災", "Fire"),
    "collapse": ("建物倒壊", "Collapsed buildings"),
    "landslide": ("土砂崩れ", "Landslide"),
    "flooding": ("浸水", "Flooding"),
    "roads": ("道路", "Roads"),
}

LIVING = {
    "space": ("スペース", "Space"),
    "beds": ("寝具・ベッド", "Beds"),
    "bathing": ("入浴", "Bathing"),
    "laundry": ("洗濯", "Laundry"),
    "blankets": ("毛布", "Blankets"),
}

CARE_CODES = households.CARE_CODES  # one vocabulary for care needs, on screens and in reports

# Figures the system knows from the roster; staff cannot type over them.
LIVE_FIELDS = ("total", "men", "women", "other_sex", "households", "arrivals", "departures", "at_home", "in_car",
               "care_needs", "sick", "capacity", "capacity_level")

# Staff-entered fields: name -> kind (int, text, choice vocabulary, or a group of choices)
STAFF_FIELDS = {
    "reason": "text",  # 開設理由
    "capacity_status": CAPACITY_STATUS,
    "staff_help": "text",  # 応援職員の要否
    "drinking_water": SUFFICIENCY,
    "toilets": "int",  # トイレ数
    "supplies_needed": "text",
    "infection_supplies_short": "text",
    "day_count": "int",
    "night_count": "int",
    "urgent": "text",
}

TEXT_LIMIT = 2000

FIELD_LABELS = {
    "kyotsu_id": ("共通ID", "Common ID"),
    "municipality_code": ("地方公共団体コード", "Municipality code"),
    "eei_status": ("開設状況", "Opening status"),
    "total": ("避難者数", "Evacuees"),
    "men": ("男性", "Men"),
    "women": ("女性", "Women"),
    "other_sex": ("性別回答なし", "Sex not given"),
    "households": ("世帯数", "Households"),
    "opened_at": ("開設日時", "Opened at"),
    "closed_at": ("閉鎖日時", "Closed at"),
    "safety": ("安全確認結果", "Safety check"),
    "arrivals": ("前回報告以降の入所者", "Arrivals since last report"),
    "departures": ("前回報告以降の退所者", "Departures since last report"),
    "at_home": ("在宅避難者", "Evacuees at home"),
    "in_car": ("車中泊避難者", "Evacuees in cars"),
    "care_needs": ("要配慮者（区分別）", "Care needs by code"),
    "sick": ("傷病者", "Sick or injured"),
    "capacity": ("収容可能人数", "Capacity"),
    "capacity_level": ("混雑度", "Congestion level"),
    "reason": ("開設理由", "Reason for opening"),
    "capacity_status": ("定員状況", "Capacity status"),
    "staff_help": ("応援職員の要否", "Staff help needed"),
    "drinking_water": ("飲料水", "Drinking water"),
    "toilets": ("トイレ数", "Toilets"),
    "supplies_needed": ("必要な物資", "Supplies needed"),
    "infection_supplies_short": ("不足している感染症対策物資", "Infection-control supplies short"),
    "living": ("生活環境", "Living conditions"),
    "day_count": ("昼間の人数", "People by day"),
    "night_count": ("夜間の人数", "People at night"),
    "lifelines": ("ライフライン", "Lifelines"),
    "surroundings": ("周辺の状況", "Surroundings"),
    "urgent": ("緊急の対応事項", "Urgent matters"),
    "reporter": ("報告者", "Reporter"),
    "no": ("報告番号", "Report no."),
    "kind": ("種別", "Kind"),
    "at": ("報告日時", "Reported at"),
}


# --- live figures ---

# persons who count as present, as households.present_counts() defines it
_PRESENT = "h.status = 'checked_in' and h.staying = 'shelter' and p.status in ('in', 'away')"
_OUTSIDE = "h.status = 'checked_in' and h.staying != 'shelter' and p.status != 'out'"


def live_figures(db, shelter_id, *, since=None, config=None):
    """What the roster says now (counts only, never a name): people by sex, households, care needs by code,
    evacuees at home / in cars, arrivals and departures since `since`, and the congestion level."""
    from . import households

    figures = {"total": households.present_counts(db).get(shelter_id, {}).get("total", 0)}
    sexes = dict(db.execute(f"select p.sex, count(*) from persons p join households h on h.id = p.household_id "
                            f"where h.shelter_id = ? and {_PRESENT} group by p.sex", [shelter_id]).fetchall())
    heads = households.headcounts(db, shelter_id)["groups"]
    for (sex, _band), n in heads.items():
        sexes[sex] = sexes.get(sex, 0) + n
    figures["men"] = sexes.get("male", 0)
    figures["women"] = sexes.get("female", 0)
    figures["other_sex"] = sum(n for sex, n in sexes.items() if sex not in ("male", "female"))
    figures["households"] = db.execute(
        "select count(*) from households where shelter_id = ? and status = 'checked_in' and staying = 'shelter'",
        [shelter_id]).fetchone()[0]
    care = {code: 0 for code in CARE_CODES}
    for (raw,) in db.execute(f"select p.care_codes from persons p join households h on h.id = p.household_id "
                             f"where h.shelter_id = ? and {_PRESENT}", [shelter_id]):
        for code in json.loads(raw or "[]"):
            if code in care:
                care[code] += 1
    figures["care_needs"] = care
    figures["sick"] = care["ILL"]
    outside = households.outside_counts(db).get(shelter_id, {})
    figures["at_home"] = outside.get("home", 0)
    figures["in_car"] = outside.get("car", 0)
    figures["arrivals"], figures["departures"] = _movements(db, shelter_id, since) if since else (0, 0)
    if config is not None:
        from . import capacity

        snap = capacity.snapshot(db, config, shelter_id)
        figures["capacity"] = snap["capacity"]
        figures["capacity_level"] = snap["level"]
    return figures


def _movements(db, shelter_id, since):
    """People in and out since the last report, from the movements projection.

    `since` is the previous report's id (movements after its own event, so nothing is lost within
    one second) or an ISO time (the opening) for the 第1報.
    """
    from .households import movements

    row = db.execute("select id from events where kind = 'report.filed' and shelter_id = ? "
                     "and json_extract(payload, '$.report_id') = ?", [shelter_id, since]).fetchone()
    moved = movements.between(db, shelter_id, after_event=row[0]) if row else movements.between(db, shelter_id, since)
    return moved["arrived"], moved["left"]


# --- staff input ---

def clean_staff_input(form):
    """The staff-entered part of a report from a form or JSON object. :raise Invalid:"""
    out = {}
    for name, kind in STAFF_FIELDS.items():
        raw = form.get(name)
        if raw is None or raw == "":
            out[name] = None
            continue
        if kind == "int":
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise Invalid(f"数字で入力してください: {name}", f"Enter a number: {name}") from None
            if value < 0 or value > 1_000_000:
                raise Invalid(f"0以上の数で入力してください: {name}", f"Enter 0 or more: {name}")
            out[name] = value
        elif kind == "text":
            if isinstance(raw, (dict, list)):
                raise Invalid(f"文字で入力してください: {name}", f"Enter text: {name}")
            out[name] = _text(raw)
        else:
            if not isinstance(raw, str) or raw not in kind:
                raise Invalid(f"選択肢から選んでください: {name}", f"Choose one of the options: {name}")
            out[name] = raw
    out["lifelines"] = _group(form, "lifeline", LIFELINES, LIFELINE_STATES)
    out["living"] = _group(form, "living", LIVING, SUFFICIENCY)
    out["surroundings"] = {key: _text(_get(form, "surroundings", key)) for key in SURROUNDINGS}
    return out


def _text(value):
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()[:TEXT_LIMIT]


def _get(form, group, key):
    nested = form.get(group)
    if isinstance(nested, dict):
        return nested.get(key)
    return form.get(f"{group}_{key}")


def _group(form, group, keys, states):
    out = {}
    for key in keys:
        value = _get(form, group, key) or "unknown"
        if not isinstance(value, str) or value not in states:
            raise Invalid(f"選択肢から選んでください: {group}_{key}", f"Choose one of the options: {group}_{key}")
        out[key] = value
    return out


# --- filing and reading ---

def last(db, shelter_id):
    rows = history(db, shelter_id=shelter_id, limit=1)
    return rows[0] if rows else None


LEVEL_TO_CAPACITY_STATUS = {"vacant": "vacant", "some": "vacant", "crowded": "crowded", "full": "full"}


def draft(db, shelter_id, *, config=None):
    """The next report as it would be filed now: live figures, shelter facts, and last report's staff fields."""
    shelter = shelters.get(db, shelter_id)
    previous = last(db, shelter["id"])
    since = previous["id"] if previous else shelter.get("opened_at")
    data = {
        "kyotsu_id": shelter["kyotsu_id"],  # 共通ID
        "municipality_code": shelter["municipality_code"] or (config or {}).get("MUNICIPALITY_CODE", ""),
        "shelter_name": shelter["name"],
        "eei_status": shelters.EEI_STATUS[shelter["state"]],
        "opened_at": shelter["opened_at"],
        "closed_at": shelter["closed_at"],
        "safety": shelter["safety"],  # 安全確認結果
        **live_figures(db, shelter["id"], since=since, config=config),
    }
    staff = {name: None for name in STAFF_FIELDS}
    staff.update({"lifelines": {k: "unknown" for k in LIFELINES}, "living": {k: "unknown" for k in LIVING},
                  "surroundings": {k: "" for k in SURROUNDINGS}})
    if previous:
        staff.update({k: previous["data"].get(k) for k in staff if k in previous["data"]})
    level = data.get("capacity_level")
    if level in LEVEL_TO_CAPACITY_STATUS:
        staff["capacity_status"] = LEVEL_TO_CAPACITY_STATUS[level]
    no = (previous["no"] + 1) if previous else 1
    return {"shelter": shelter, "no": no, "since": since, "data": {**staff, **data}}


FIRST_REPORT_ITEM = "first_report"  # the opening checklist's 本部への第1報


def submit(db, shelter_id, staff_input, *, actor, kind=None, config=None, op=None, checklist_items=None):
    """File the next report (第N報) with live figures and the staff's input. Returns the report (a retried
    `op`: the report it filed the first time).

    With `checklist_items` (the configured opening checklist), the 第1報 (report no. 1, or one
    filed as kind first) also ticks its checklist item.
    """
    staff = clean_staff_input(staff_input)
    with write(db):
        access.require(actor, "file_report", shelter_id)
        first = done(db, op, kind="report.filed")
        if first is not None:
            return get(db, first.data["report_id"])
        current = draft(db, shelter_id, config=config)
        shelter = current["shelter"]
        kind = kind or ("first" if current["no"] == 1 else "periodic")
        if not isinstance(kind, str) or kind not in KINDS:
            raise Invalid(f"報告の種類が正しくありません: {kind}", f"Unknown report kind: {kind}")
        if shelter["state"] in ("standby",):
            raise Invalid("未開設の避難所は報告できません。", "A shelter on standby has nothing to report.")
        if kind == "final" and shelter["state"] not in ("closing", "closed"):
            raise Invalid("最終報告は閉鎖準備か閉鎖の後に送ります。",
                          "The final report is sent when the shelter is closing or closed.")
        data = {**current["data"], **staff}
        for key in LIVE_FIELDS:  # live figures win over anything typed
            data[key] = current["data"].get(key)
        if not data.get("capacity_status"):
            data["capacity_status"] = current["data"].get("capacity_status")
        data["kind"] = kind
        # what staff typed is sealed under the shelter's key (it can name someone); the figures stay plain
        typed = {key: data.pop(key, None) for key in privacy.REPORT_TEXT}
        surroundings = data.pop("surroundings", None) or {}
        typed.update({f"surroundings.{key}": surroundings.get(key) for key in SURROUNDINGS})
        plain, personal = privacy.split(typed)
        report_id = new_id()
        emit(db, "report.filed", {"report_id": report_id, "no": current["no"], "kind": kind, "total": data["total"],
                                  "men": data["men"], "women": data["women"], "households": data["households"],
                                  "data": data, **plain},
             personal=personal, actor=actor, shelter_id=shelter["id"], op=op)
        # 第1報 is report no. 1, whichever kind the form was left on
        first = kind == "first" or current["no"] == 1
        if first and checklist_items and any(i["key"] == FIRST_REPORT_ITEM for i in checklist_items):
            marked = db.execute("select 1 from checklist_marks where shelter_id = ? and item = ?",
                                [shelter["id"], FIRST_REPORT_ITEM]).fetchone()
            if not marked:
                shelters.mark_item(db, shelter["id"], FIRST_REPORT_ITEM, items=checklist_items,
                                   actor=access.acting(actor).user)
    return get(db, report_id)


@applies("report.filed", live=False)
def _filed(db, e):
    data = dict(e.data["data"])
    for key in privacy.REPORT_TEXT:
        data[key] = privacy.fact(e, "reports", key)
    data["surroundings"] = {key: privacy.fact(e, "reports", f"surroundings.{key}") for key in SURROUNDINGS}
    db.execute("insert into reports (id, shelter_id, no, kind, at, reporter, total, men, women, households, data) "
               "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [e.data["report_id"], e.shelter_id, e.data["no"], e.data["kind"], e.at, e.actor.user, e.data["total"],
                e.data["men"], e.data["women"], e.data["households"], json.dumps(data, ensure_ascii=False,
                                                                                  sort_keys=True)])


def _decode(row):
    row = dict(row)
    row["data"] = json.loads(row["data"] or "{}")
    return row


def get(db, report_id):
    rows = fetch_all(db, "select * from reports where id = ?", [report_id])
    if not rows:
        raise NotFound("報告が見つかりません。", "No such report.")
    return _decode(rows[0])


def history(db, *, shelter_id=None, limit=None):
    """Reports, newest first, with the shelter's name and 共通ID."""
    sql = ("select r.*, s.name as shelter_name, s.kyotsu_id from reports r join shelters s on s.id = r.shelter_id"
           + (" where r.shelter_id = ?" if shelter_id else "") + " order by r.at desc, r.no desc"
           + (" limit ?" if limit else ""))
    args = ([shelter_id] if shelter_id else []) + ([limit] if limit else [])
    return [_decode(r) for r in fetch_all(db, sql, args)]


def has_final(db, shelter_id):
    return db.execute("select 1 from reports where shelter_id = ? and kind = 'final'", [shelter_id]).fetchone() is not None


# --- reminders ---

def due(db, shelter, *, interval_hours, at=None):
    """When the shelter's next report is due and whether it is overdue: {"due_at", "overdue", "no"} or None.

    An open shelter owes its 第1報 at once, then one every `interval_hours`.
    """
    if shelter["state"] not in ("opening", "open", "closing"):
        return None
    at = parse_time(at) if at else clock.utcnow()
    previous = last(db, shelter["id"])
    if previous is None:
        if shelter["state"] == "opening":
            return None
        due_at = parse_time(shelter["opened_at"]) if shelter["opened_at"] else at
        return {"due_at": due_at.isoformat(), "overdue": True, "no": 1}
    due_at = parse_time(previous["at"]) + timedelta(hours=interval_hours)
    return {"due_at": due_at.isoformat(), "overdue": at >= due_at, "no": previous["no"] + 1}


def overdue(db, *, interval_hours, at=None):
    """Every shelter whose report is due now: [(shelter, due)]."""
    out = []
    for shelter in shelters.list_all(db):
        state = due(db, shelter, interval_hours=interval_hours, at=at)
        if state and state["overdue"]:
            out.append((shelter, state))
    return out


# --- occupancy over time ---

def occupancy_series(db):
    """Occupancy over time from the reports: {"shelters": {id: {"name", "points": [(at, total)]}},
    "total": [(at, sum of each shelter's latest figure)]}."""
    rows = fetch_all(db, "select r.shelter_id, r.at, r.total, s.name from reports r join shelters s "
                              "on s.id = r.shelter_id order by r.at, r.no")
    series, latest, total = {}, {}, []
    for row in rows:
        series.setdefault(row["shelter_id"], {"name": row["name"], "points": []})["points"].append(
            (row["at"], row["total"]))
        latest[row["shelter_id"]] = row["total"]
        point = (row["at"], sum(latest.values()))
        if total and total[-1][0] == row["at"]:
            total[-1] = point
        else:
            total.append(point)
    return {"shelters": series, "total": total}


# --- CSV ---

CSV_COLUMNS = [
    ("kyotsu_id", "共通ID"), ("municipality_code", "地方公共団体コード"), ("shelter_name", "施設名"),
    ("no", "報告番号"), ("kind", "報告種別"), ("at", "報告日時"), ("reporter", "報告者"),
    ("eei_status", "開設状況"), ("total", "避難者数"), ("men", "避難者数（男性）"), ("women", "避難者数（女性）"),
    ("households", "世帯数"), ("opened_at", "開設日時"), ("closed_at", "閉鎖日時"), ("reason", "開設理由"),
    ("capacity_status", "定員状況"), ("staff_help", "応援職員の要否"), ("drinking_water", "飲料水"),
    ("toilets", "トイレ数"), ("supplies_needed", "必要物資"), ("infection_supplies_short", "感染症対策物資の不足"),
    ("living", "生活環境"), ("safety", "安全確認結果"), ("day_count", "昼間人数"), ("night_count", "夜間人数"),
    ("arrivals", "新規入所者数"), ("departures", "退所者数"), ("at_home", "在宅避難者数"), ("in_car", "車中泊避難者数"),
    ("care_needs", "要配慮者数"), ("sick", "傷病者数"), ("lifelines", "ライフライン"), ("surroundings", "周辺状況"),
    ("urgent", "緊急対応事項"),
]


def _cell(key, value):
    if value is None:
        return ""
    if key == "kind":
        return KINDS.get(value, (value,))[0]
    vocab = {"capacity_status": CAPACITY_STATUS, "drinking_water": SUFFICIENCY,
             "safety": shelters.SAFETY_RESULTS}.get(key)
    if vocab and value in vocab:
        return vocab[value][0]
    if isinstance(value, dict):
        names = {"living": LIVING, "lifelines": LIFELINES, "surroundings": SURROUNDINGS, "care_needs": CARE_CODES}[key]
        states = {"living": SUFFICIENCY, "lifelines": LIFELINE_STATES}.get(key, {})
        parts = []
        for k, v in value.items():
            if v in (None, "", 0, "unknown"):
                continue
            label = names.get(k, (k,))[0] if key != "care_needs" else k
            parts.append(f"{label}:{states.get(v, (v,))[0]}")
        return "; ".join(parts)
    return str(value)


def to_csv(reports_list):
    """The reports as CSV, UTF-8 with BOM so that Excel opens it; headers in Japanese as HQ's forms name them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ja for _key, ja in CSV_COLUMNS])
    for report in reports_list:
        values = {**report["data"], "no": report["no"], "kind": report["kind"], "at": report["at"],
                  "reporter": report["reporter"], "shelter_name": report.get("shelter_name") or report["data"].get(
                      "shelter_name")}
        writer.writerow(csv_row(_cell(key, values.get(key)) for key, _ja in CSV_COLUMNS))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
