"""API: reports to HQ (第N報), the next report's draft, history, occupancy over time and CSV."""
from flask import Response, current_app, jsonify, request

from ...db import get_db
from ...domain import reports, shelters
from ...domain.errors import Forbidden, Invalid
from .. import once
from . import api_actor, api_user, bp, error_responses, json_body

REF_PARAM = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "共通ID, or the shelter's id where it has none"}

REPORT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "shelter_id": {"type": "string"}, "no": {"type": "integer", "description": "第N報"},
        "kind": {"type": "string", "enum": list(reports.KINDS)}, "at": {"type": "string"},
        "reporter": {"type": "string"}, "total": {"type": "integer"}, "men": {"type": "integer"},
        "women": {"type": "integer"}, "households": {"type": "integer"},
        "data": {"type": "object", "description": "Every attribute: EEI items (kyotsu_id, municipality_code, "
                 "eei_status, total, men, women, opened_at, closed_at, reason, capacity_status, staff_help, "
                 "drinking_water, toilets, supplies_needed, infection_supplies_short, living) and the municipal "
                 "status report items (safety, households, day_count, night_count, arrivals, departures, at_home, "
                 "in_car, care_needs, sick, lifelines, surroundings, urgent)"},
    },
}
def _optional(properties):
    """Every staff field may be left out or sent as null (= not known)."""
    out = {}
    for name, schema in properties.items():
        schema = {**schema, "nullable": True}
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        out[name] = schema
    return out


STAFF_INPUT = {
    "type": "object",
    "properties": _optional({
        "kind": {"type": "string", "enum": list(reports.KINDS)},
        "reason": {"type": "string"}, "capacity_status": {"type": "string", "enum": list(reports.CAPACITY_STATUS)},
        "staff_help": {"type": "string"}, "drinking_water": {"type": "string", "enum": list(reports.SUFFICIENCY)},
        "toilets": {"type": "integer"}, "supplies_needed": {"type": "string"},
        "infection_supplies_short": {"type": "string"}, "day_count": {"type": "integer"},
        "night_count": {"type": "integer"}, "urgent": {"type": "string"},
        "living": {"type": "object", "properties": {k: {"type": "string", "enum": list(reports.SUFFICIENCY)}
                                                    for k in reports.LIVING}},
        "lifelines": {"type": "object", "properties": {k: {"type": "string", "enum": list(reports.LIFELINE_STATES)}
                                                       for k in reports.LIFELINES}},
        "surroundings": {"type": "object", "properties": {k: {"type": "string"} for k in reports.SURROUNDINGS}},
    }),
}


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


def _require_hq():
    if api_user()["role"] != "hq":
        raise Forbidden("本部の権限が必要です。", "This needs the HQ role.")


@bp.route("/shelters/<ref>/reports", methods=["GET"])
def list_reports(ref):
    """The shelter's reports, newest first, and when the next one is due."""
    shelter = _shelter(ref)
    db = get_db()
    return jsonify(reports=reports.history(db, shelter_id=shelter["id"]),
                   due=reports.due(db, shelter, interval_hours=current_app.config["REPORT_INTERVAL_HOURS"]))


@bp.route("/shelters/<ref>/reports/draft")
def draft_report(ref):
    """The next report as it would be filed now."""
    shelter = _shelter(ref)
    current = reports.draft(get_db(), shelter["id"], config=current_app.config)
    return jsonify(no=current["no"], data=current["data"])


@bp.route("/shelters/<ref>/reports", methods=["POST"])
def post_report(ref):
    """File the next report: live figures from the roster plus the staff's fields. Idempotency-Key honoured."""
    shelter = _shelter(ref)
    body = json_body()
    flat = {k: v for k, v in body.items() if not isinstance(v, dict)}
    for group, prefix in (("living", "living"), ("lifelines", "lifeline"), ("surroundings", "surroundings")):
        values = body.get(group) or {}
        if not isinstance(values, dict):
            raise Invalid(f"{group} はオブジェクトで送ってください。", f"Send {group} as an object.")
        for key, value in values.items():
            flat[f"{prefix}_{key}"] = value
    flat = {k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in flat.items()}
    report = reports.submit(get_db(), shelter["id"], flat, actor=api_actor(), kind=body.get("kind"),
                            config=current_app.config, op=once.operation_id(),
                            checklist_items=shelters.checklist_items(current_app.config["CHECKLIST"]))
    return jsonify(report), 201


@bp.route("/reports")
def all_reports():
    """HQ: every report (?format=csv for Excel), and the shelters whose report is overdue."""
    _require_hq()
    db = get_db()
    history = reports.history(db)
    if request.args.get("format") == "csv":
        return Response(reports.to_csv(history), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="reports.csv"'})
    overdue = reports.overdue(db, interval_hours=current_app.config["REPORT_INTERVAL_HOURS"])
    return jsonify(reports=history, overdue=[{"kyotsu_id": s["kyotsu_id"], "id": s["id"], "name": s["name"], **d}
                                             for s, d in overdue])


@bp.route("/reports/occupancy")
def occupancy():
    """HQ: evacuees over time from the reports, per shelter and in total."""
    _require_hq()
    series = reports.occupancy_series(get_db())
    return jsonify(total=[{"at": at, "total": n} for at, n in series["total"]],
                   shelters=[{"id": sid, "name": item["name"], "points": [{"at": at, "total": n}
                                                                          for at, n in item["points"]]}
                             for sid, item in series["shelters"].items()])


OPENAPI = {
    "/shelters/{ref}/reports": {
        "get": {"summary": "The shelter's reports to HQ and when the next is due", "parameters": [REF_PARAM],
                "responses": {"200": {"description": "Reports, newest first", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "reports": {"type": "array", "items": REPORT_SCHEMA},
                        "due": {"type": "object", "nullable": True}}}}}},
                    **error_responses(401, 403, 404)}},
        "post": {"summary": "File the next report (第1報, periodic 第N報 or final)", "parameters": [
            REF_PARAM, {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": STAFF_INPUT}}},
            "responses": {"201": {"description": "The filed report",
                                  "content": {"application/json": {"schema": REPORT_SCHEMA}}},
                          **error_responses(400, 401, 403, 404)}},
    },
    "/shelters/{ref}/reports/draft": {
        "get": {"summary": "The next report as it would be filed now", "parameters": [REF_PARAM],
                "responses": {"200": {"description": "Report number and attributes"},
                              **error_responses(401, 403, 404)}},
    },
    "/reports": {
        "get": {"summary": "HQ: every report, and overdue shelters", "parameters": [
            {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"]},
             "description": "csv: UTF-8 with BOM, Japanese headers (opens in Excel)"}],
            "responses": {"200": {"description": "Reports", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "reports": {"type": "array", "items": REPORT_SCHEMA}, "overdue": {"type": "array"}}}},
                "text/csv": {"schema": {"type": "string"}}}}, **error_responses(401, 403)}},
    },
    "/reports/occupancy": {
        "get": {"summary": "HQ: evacuees over time per shelter and in total (from the reports)",
                "responses": {"200": {"description": "Series"}, **error_responses(401, 403)}},
    },
}
