"""API: the daily log (運営日誌) and announcements to residents."""
from flask import jsonify, request

from ...db import get_db
from ...domain import clock, daylog, shelters
from .. import once
from . import (IDEMPOTENCY, NULLABLE_DATE, NULLABLE_TEXT, OBJ, REF, api_actor, api_user, body_schema, bp,
               error_responses, id_param, json_body, json_schema)


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


# --- daily log and announcements ---

@bp.route("/shelters/<ref>/log")
def get_log(ref):
    """One day of the daily log (?day=YYYY-MM-DD, default today in Japan)."""
    shelter = _shelter(ref)
    day = request.args.get("day") or clock.today()
    return jsonify(daylog.day_view(get_db(), shelter["id"], day))


@bp.route("/shelters/<ref>/log", methods=["POST"])
def post_log(ref):
    shelter = _shelter(ref)
    body = json_body()
    entry = daylog.add_entry(get_db(), shelter["id"], kind=str(body.get("kind", "")), text=body.get("text", ""),
                             author=api_actor(), day=body.get("day"), period=body.get("period"),
                             count=body.get("count"), op=once.operation_id())
    return jsonify(entry), 201


@bp.route("/shelters/<ref>/announcements")
def get_announcements(ref):
    """Every announcement (?current=1: only those shown now)."""
    shelter = _shelter(ref)
    db = get_db()
    if request.args.get("current"):
        return jsonify(announcements=daylog.current_announcements(db, shelter["id"]))
    return jsonify(announcements=daylog.announcements(db, shelter["id"]))


@bp.route("/shelters/<ref>/announcements", methods=["POST"])
def post_announcement(ref):
    shelter = _shelter(ref)
    body = json_body()
    item = daylog.add_announcement(get_db(), shelter["id"], ja=body.get("ja", ""), en=body.get("en", ""),
                                   starts_at=body.get("starts_at"), ends_at=body.get("ends_at"),
                                   actor=api_actor(), op=once.operation_id())
    return jsonify(item), 201


@bp.route("/shelters/<ref>/announcements/<announcement_id>/withdraw", methods=["POST"])
def post_withdraw(ref, announcement_id):
    shelter = _shelter(ref)
    daylog.withdraw_announcement(get_db(), shelter["id"], announcement_id, actor=api_actor(),
                                 op=once.operation_id())
    return jsonify(ok=True)


OPENAPI = {
    "/shelters/{ref}/log": {
        "get": {"summary": "One day of the daily log (運営日誌)", "tags": ["daily log"],
                "parameters": [REF, {"name": "day", "in": "query", "required": False,
                                     "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": json_schema({"type": "object", "properties": {
                    "day": {"type": "string"}, "entries": {"type": "array", "items": OBJ},
                    "by_kind": OBJ, "counts": OBJ, "headcounts": OBJ, "supplies": {"type": "array", "items": OBJ}}}),
                    **error_responses(400, 403, 404)}},
        "post": {"summary": "Write a daily log entry (a status entry may carry the morning/evening head count)",
                 "tags": ["daily log"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": body_schema({"kind": {"type": "string", "enum": list(daylog.KINDS)},
                                       "text": NULLABLE_TEXT, "day": NULLABLE_DATE,
                                       "period": {"type": "string", "nullable": True, "enum": [*daylog.PERIODS, None]},
                                       "count": {"type": "integer", "nullable": True, "minimum": 0}}, ["kind"]),
                 "responses": {"201": json_schema(OBJ, "Written"), **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/announcements": {
        "get": {"summary": "Announcements (?current=1: only those shown now)", "tags": ["daily log"],
                "parameters": [REF, {"name": "current", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": json_schema({"type": "object", "properties": {
                    "announcements": {"type": "array", "items": OBJ}}}), **error_responses(403, 404)}},
        "post": {"summary": "Publish an announcement in ja (and en) from starts_at until ends_at",
                 "tags": ["daily log"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": body_schema({"ja": {"type": "string"}, "en": NULLABLE_TEXT,
                                       "starts_at": {"type": "string", "format": "date-time", "nullable": True},
                                       "ends_at": {"type": "string", "format": "date-time", "nullable": True}},
                                      ["ja"]),
                 "responses": {"201": json_schema(OBJ, "Published"), **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/announcements/{announcement_id}/withdraw": {"post": {
        "summary": "Take an announcement down now", "tags": ["daily log"],
        "parameters": [REF, id_param("announcement_id")],
        "responses": {"200": json_schema(OBJ), **error_responses(403, 404, 409)}}},
}
