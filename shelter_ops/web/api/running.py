"""API: supplies and requests to HQ, needs estimates, the daily log, announcements, residents' requests."""
from flask import jsonify, request

from ...db import get_db
from ...domain import clock, daylog, resident_requests, shelters, supplies
from ...domain.errors import Invalid
from .. import once
from . import api_user, bp, error_responses, json_body


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


def _request_id():
    """The operation id the edge made from the Idempotency-Key (scoped to the user and the route)."""
    return once.operation_id()


# --- supplies ---

@bp.route("/shelters/<ref>/supplies")
def get_supplies(ref):
    """Stock per item and the latest movements of the shelter's ledger."""
    shelter = _shelter(ref)
    db = get_db()
    return jsonify(stock=supplies.stock(db, shelter["id"]), moves=supplies.ledger(db, shelter["id"], limit=200))


@bp.route("/shelters/<ref>/supplies/moves", methods=["POST"])
def post_move(ref):
    """Record supplies received (in) or distributed (out)."""
    shelter = _shelter(ref)
    body = json_body()
    move = supplies.record_move(get_db(), shelter["id"], item=body.get("item"), unit=body.get("unit"),
                                direction=str(body.get("direction", "")), quantity=body.get("quantity"),
                                expiry=body.get("expiry"), note=body.get("note", ""), actor=api_user()["name"],
                                event_id=_request_id())
    return jsonify(move or {"repeated": True}), 201 if move else 200


@bp.route("/shelters/<ref>/supply-requests")
def get_shelter_requests(ref):
    shelter = _shelter(ref)
    return jsonify(requests=supplies.requests(get_db(), shelter["id"], request.args.get("status") or None))


@bp.route("/shelters/<ref>/supply-requests", methods=["POST"])
def post_supply_request(ref):
    """A supply request to HQ."""
    shelter = _shelter(ref)
    body = json_body()
    item = supplies.create_request(get_db(), shelter["id"], item=body.get("item"), quantity=body.get("quantity"),
                                   unit=body.get("unit"), priority=str(body.get("priority") or "normal"),
                                   wanted_by=body.get("wanted_by"), note=body.get("note", ""),
                                   actor=api_user()["name"], event_id=_request_id())
    return jsonify(item or {"repeated": True}), 201 if item else 200


@bp.route("/supply-requests")
def list_supply_requests():
    """HQ: requests across every shelter (default: the open ones). Staff: their shelter's."""
    user = api_user()
    status = request.args.get("status") or "open"
    shelter_id = None if user["role"] == "hq" else user["shelter_id"]
    return jsonify(requests=supplies.requests(get_db(), shelter_id, status))


@bp.route("/supply-requests/<request_id>/transitions", methods=["POST"])
def post_supply_transition(request_id):
    """Move a request one step; an illegal step answers 409, a step that is HQ's 403."""
    db = get_db()
    item = supplies.get_request(db, request_id)
    _shelter(item["shelter_id"])
    user = api_user()
    body = json_body()
    item = supplies.advance_request(db, request_id, str(body.get("to", "")), actor=user["name"], role=user["role"],
                                    reason=body.get("reason") or "", received_quantity=body.get("received_quantity"),
                                    expiry=body.get("expiry"), event_id=_request_id())
    return jsonify(item)


@bp.route("/shelters/<ref>/needs")
def get_needs(ref):
    """Needs estimated from the people checked in (counts only)."""
    shelter = _shelter(ref)
    try:
        days = max(1, min(30, int(request.args.get("days", 1))))
    except ValueError:
        raise Invalid("days は整数にしてください。", "days must be a whole number.") from None
    return jsonify(supplies.estimate_needs(get_db(), shelter["id"], days=days))


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
                             author=api_user()["name"], day=body.get("day"), period=body.get("period"),
                             count=body.get("count"), event_id=_request_id())
    return jsonify(entry or {"repeated": True}), 201 if entry else 200


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
                                   actor=api_user()["name"], event_id=_request_id())
    return jsonify(item or {"repeated": True}), 201 if item else 200


@bp.route("/shelters/<ref>/announcements/<announcement_id>/withdraw", methods=["POST"])
def post_withdraw(ref, announcement_id):
    shelter = _shelter(ref)
    daylog.withdraw_announcement(get_db(), shelter["id"], announcement_id, actor=api_user()["name"])
    return jsonify(ok=True)


# --- residents' requests ---

@bp.route("/shelters/<ref>/resident-requests")
def get_resident_requests(ref):
    """The shelter's residents' requests (?status=open|handled)."""
    shelter = _shelter(ref)
    status = request.args.get("status") or None
    if status and status not in resident_requests.STATUSES:
        raise Invalid("不明な状態です。", "Unknown status.")
    return jsonify(requests=resident_requests.inbox(get_db(), shelter["id"], status))


@bp.route("/shelters/<ref>/resident-requests", methods=["POST"])
def post_resident_request(ref):
    """A request keyed in by staff (from paper): anonymous unless a name is given."""
    shelter = _shelter(ref)
    body = json_body()
    name = str(body.get("name") or "")
    item = resident_requests.submit(get_db(), shelter["id"], category=str(body.get("category", "")),
                                    text=body.get("text", ""), name=name, room=str(body.get("room") or ""),
                                    anonymous=bool(body.get("anonymous")) or not name.strip(), source="paper",
                                    actor=api_user()["name"], event_id=_request_id())
    return jsonify(item or {"repeated": True}), 201 if item else 200


@bp.route("/shelters/<ref>/resident-requests/<request_id>/handled", methods=["POST"])
def post_handled(ref, request_id):
    shelter = _shelter(ref)
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}  # the note is optional, and so is the body
    item = resident_requests.mark_handled(get_db(), shelter["id"], request_id, note=body.get("note", ""),
                                          actor=api_user()["name"])
    return jsonify(item)


# --- the OpenAPI document ---

REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "共通ID, or the shelter's id where it has none"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "A UUID of the client's; the same key again changes nothing"}
OBJ = {"type": "object"}
NULLABLE_TEXT = {"type": "string", "nullable": True}
NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(properties, required=()):
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": list(required), "properties": properties}}}}


def _id_param(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


SUPPLY_REQUEST = {"type": "object", "properties": {
    "id": {"type": "string"}, "shelter_id": {"type": "string"}, "shelter_name": {"type": "string"},
    "kyotsu_id": {"type": "string", "nullable": True},
    "item": {"type": "string"}, "quantity": {"type": "number"}, "unit": {"type": "string"},
    "priority": {"type": "string", "enum": list(supplies.PRIORITIES)},
    "wanted_by": {"type": "string", "format": "date", "nullable": True},
    "status": {"type": "string", "enum": list(supplies.STATUSES)},
    "reason": {"type": "string", "nullable": True}, "received_quantity": {"type": "number", "nullable": True},
    **{f"{step}_{who}": {"type": "string", "nullable": True}
       for step in ("requested", "accepted", "sent", "received", "cancelled", "refused") for who in ("by", "at")},
}}
STATUS_QUERY = {"name": "status", "in": "query", "required": False, "schema": {"type": "string"}}

OPENAPI = {
    "/shelters/{ref}/supplies": {"get": {
        "summary": "Stock per item and the ledger", "tags": ["supplies"], "parameters": [REF],
        "responses": {"200": _json({"type": "object", "properties": {
            "stock": {"type": "array", "items": OBJ}, "moves": {"type": "array", "items": OBJ}}}),
            **error_responses(403, 404)}}},
    "/shelters/{ref}/supplies/moves": {"post": {
        "summary": "Record supplies received (in) or distributed (out); more out than in stock answers 409",
        "tags": ["supplies"], "parameters": [REF, IDEMPOTENCY],
        "requestBody": _body({"direction": {"type": "string", "enum": ["in", "out"]}, "item": {"type": "string"},
                              "quantity": {"type": "number"}, "unit": {"type": "string"},
                              "expiry": NULLABLE_DATE, "note": NULLABLE_TEXT},
                             ["direction", "item", "quantity", "unit"]),
        "responses": {"201": _json(OBJ, "Recorded"), **error_responses(400, 403, 404, 409)}}},
    "/shelters/{ref}/supply-requests": {
        "get": {"summary": "The shelter's supply requests", "tags": ["supplies"], "parameters": [REF, STATUS_QUERY],
                "responses": {"200": _json({"type": "object", "properties": {
                    "requests": {"type": "array", "items": SUPPLY_REQUEST}}}), **error_responses(403, 404)}},
        "post": {"summary": "Request supplies from HQ (物資要請)", "tags": ["supplies"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": _body({"item": {"type": "string"}, "quantity": {"type": "number"},
                                       "unit": {"type": "string"},
                                       "priority": {"type": "string", "nullable": True,
                                                    "enum": [*supplies.PRIORITIES, None]},
                                       "wanted_by": NULLABLE_DATE, "note": NULLABLE_TEXT},
                                      ["item", "quantity", "unit"]),
                 "responses": {"201": _json(SUPPLY_REQUEST, "Requested"), **error_responses(400, 403, 404)}}},
    "/supply-requests": {"get": {
        "summary": "Supply requests across shelters (HQ: all shelters; staff: their own). Default status: open",
        "tags": ["supplies"], "parameters": [{**STATUS_QUERY, "description": "open (default), or one status"}],
        "responses": {"200": _json({"type": "object", "properties": {
            "requests": {"type": "array", "items": SUPPLY_REQUEST}}})}}},
    "/supply-requests/{request_id}/transitions": {"post": {
        "summary": "requested → accepted → sent → received, or cancelled / refused (with reason). "
                   "Illegal steps 409; accept, send and refuse are HQ's (403). Receiving adds to the ledger.",
        "tags": ["supplies"], "parameters": [_id_param("request_id"), IDEMPOTENCY],
        "requestBody": _body({"to": {"type": "string", "enum": [s for s in supplies.STATUSES if s != "requested"]},
                              "reason": NULLABLE_TEXT, "received_quantity": {"type": "number", "nullable": True},
                              "expiry": NULLABLE_DATE}, ["to"]),
        "responses": {"200": _json(SUPPLY_REQUEST), **error_responses(400, 403, 404, 409)}}},
    "/shelters/{ref}/needs": {"get": {
        "summary": "Needs estimated from the roster and the count-only heads: water and meals for everyone, "
                   "infants → formula and diapers, allergens, medical devices, diet (counts only, no names)",
        "tags": ["supplies"],
        "parameters": [REF, {"name": "days", "in": "query", "required": False, "schema": {"type": "integer"}}],
        "responses": {"200": _json({"type": "object", "properties": {
            "persons": {"type": "integer"}, "days": {"type": "integer"}, "infants": {"type": "integer"},
            "counted_only": {"type": "integer"}, "supplies": {"type": "array", "items": OBJ},
            "infant_supplies": {"type": "array", "items": OBJ}, "allergens": {"type": "array", "items": OBJ},
            "medical_devices": {"type": "array", "items": OBJ}, "diet": {"type": "array", "items": OBJ}}}),
            **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/log": {
        "get": {"summary": "One day of the daily log (運営日誌)", "tags": ["daily log"],
                "parameters": [REF, {"name": "day", "in": "query", "required": False,
                                     "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "day": {"type": "string"}, "entries": {"type": "array", "items": OBJ},
                    "by_kind": OBJ, "counts": OBJ, "headcounts": OBJ, "supplies": {"type": "array", "items": OBJ}}}),
                    **error_responses(400, 403, 404)}},
        "post": {"summary": "Write a daily log entry (a status entry may carry the morning/evening head count)",
                 "tags": ["daily log"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": _body({"kind": {"type": "string", "enum": list(daylog.KINDS)},
                                       "text": NULLABLE_TEXT, "day": NULLABLE_DATE,
                                       "period": {"type": "string", "nullable": True, "enum": [*daylog.PERIODS, None]},
                                       "count": {"type": "integer", "nullable": True, "minimum": 0}}, ["kind"]),
                 "responses": {"201": _json(OBJ, "Written"), **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/announcements": {
        "get": {"summary": "Announcements (?current=1: only those shown now)", "tags": ["daily log"],
                "parameters": [REF, {"name": "current", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "announcements": {"type": "array", "items": OBJ}}}), **error_responses(403, 404)}},
        "post": {"summary": "Publish an announcement in ja (and en) from starts_at until ends_at",
                 "tags": ["daily log"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": _body({"ja": {"type": "string"}, "en": NULLABLE_TEXT,
                                       "starts_at": {"type": "string", "format": "date-time", "nullable": True},
                                       "ends_at": {"type": "string", "format": "date-time", "nullable": True}},
                                      ["ja"]),
                 "responses": {"201": _json(OBJ, "Published"), **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/announcements/{announcement_id}/withdraw": {"post": {
        "summary": "Take an announcement down now", "tags": ["daily log"],
        "parameters": [REF, _id_param("announcement_id")],
        "responses": {"200": _json(OBJ), **error_responses(403, 404, 409)}}},
    "/shelters/{ref}/resident-requests": {
        "get": {"summary": "Residents' requests (要望)", "tags": ["residents' requests"],
                "parameters": [REF, STATUS_QUERY],
                "responses": {"200": _json({"type": "object", "properties": {
                    "requests": {"type": "array", "items": OBJ}}}), **error_responses(400, 403, 404)}},
        "post": {"summary": "Key in a request from paper; anonymous unless a name is given",
                 "tags": ["residents' requests"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": _body({"category": {"type": "string", "enum": list(resident_requests.CATEGORIES)},
                                       "text": {"type": "string"}, "name": NULLABLE_TEXT,
                                       "room": NULLABLE_TEXT, "anonymous": {"type": "boolean", "nullable": True}},
                                      ["category", "text"]),
                 "responses": {"201": _json(OBJ, "Recorded"), **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/resident-requests/{request_id}/handled": {"post": {
        "summary": "Mark a resident's request handled, with a note", "tags": ["residents' requests"],
        "parameters": [REF, _id_param("request_id")],
        "requestBody": _body({"note": NULLABLE_TEXT}),  # a JSON object; {} when there is nothing to note
        "responses": {"200": _json(OBJ), **error_responses(403, 404, 409)}}},
}
