"""API: the supplies ledger, requests to HQ and their steps, needs estimated from the roster."""
from flask import jsonify, request

from ...db import get_db
from ...domain import iccards, shelters, supplies
from ...domain.errors import Invalid
from .. import once
from . import (IDEMPOTENCY, NULLABLE_DATE, NULLABLE_TEXT, OBJ, REF, STATUS_QUERY, api_actor, api_user, body_schema, bp,
               error_responses, id_param, json_body, json_schema)


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


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
                                expiry=body.get("expiry"), note=body.get("note", ""), actor=api_actor(),
                                op=once.operation_id())
    return jsonify(move), 201


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
                                   actor=api_actor(), op=once.operation_id())
    return jsonify(item), 201


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
    body = json_body()
    item = supplies.advance_request(db, request_id, str(body.get("to", "")), actor=api_actor(),
                                    reason=body.get("reason") or "", received_quantity=body.get("received_quantity"),
                                    expiry=body.get("expiry"), op=once.operation_id())
    return jsonify(item)


@bp.route("/shelters/<ref>/needs")
def get_needs(ref):
    """Needs estimated from the people checked in (counts only)."""
    shelter = _shelter(ref)
    try:
        days = max(1, min(30, int(request.args.get("days", 1))))
    except ValueError:
        raise Invalid("days は整数にしてください。", "days must be a whole number.") from None
    db = get_db()
    return jsonify(**supplies.estimate_needs(db, shelter["id"], days=days), pickups=iccards.pickups(db, shelter["id"]))


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
OPENAPI = {
    "/shelters/{ref}/supplies": {"get": {
        "summary": "Stock per item and the ledger", "tags": ["supplies"], "parameters": [REF],
        "responses": {"200": json_schema({"type": "object", "properties": {
            "stock": {"type": "array", "items": OBJ}, "moves": {"type": "array", "items": OBJ}}}),
            **error_responses(403, 404)}}},
    "/shelters/{ref}/supplies/moves": {"post": {
        "summary": "Record supplies received (in) or distributed (out); more out than in stock answers 409",
        "tags": ["supplies"], "parameters": [REF, IDEMPOTENCY],
        "requestBody": body_schema({"direction": {"type": "string", "enum": ["in", "out"]}, "item": {"type": "string"},
                              "quantity": {"type": "number"}, "unit": {"type": "string"},
                              "expiry": NULLABLE_DATE, "note": NULLABLE_TEXT},
                             ["direction", "item", "quantity", "unit"]),
        "responses": {"201": json_schema(OBJ, "Recorded"), **error_responses(400, 403, 404, 409)}}},
    "/shelters/{ref}/supply-requests": {
        "get": {"summary": "The shelter's supply requests", "tags": ["supplies"], "parameters": [REF, STATUS_QUERY],
                "responses": {"200": json_schema({"type": "object", "properties": {
                    "requests": {"type": "array", "items": SUPPLY_REQUEST}}}), **error_responses(403, 404)}},
        "post": {"summary": "Request supplies from HQ (物資要請)", "tags": ["supplies"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": body_schema({"item": {"type": "string"}, "quantity": {"type": "number"},
                                       "unit": {"type": "string"},
                                       "priority": {"type": "string", "nullable": True,
                                                    "enum": [*supplies.PRIORITIES, None]},
                                       "wanted_by": NULLABLE_DATE, "note": NULLABLE_TEXT},
                                      ["item", "quantity", "unit"]),
                 "responses": {"201": json_schema(SUPPLY_REQUEST, "Requested"), **error_responses(400, 403, 404)}}},
    "/supply-requests": {"get": {
        "summary": "Supply requests across shelters (HQ: all shelters; staff: their own). Default status: open",
        "tags": ["supplies"], "parameters": [{**STATUS_QUERY, "description": "open (default), or one status"}],
        "responses": {"200": json_schema({"type": "object", "properties": {
            "requests": {"type": "array", "items": SUPPLY_REQUEST}}})}}},
    "/supply-requests/{request_id}/transitions": {"post": {
        "summary": "requested → accepted → sent → received, or cancelled / refused (with reason). "
                   "Illegal steps 409; accept, send and refuse are HQ's (403). Receiving adds to the ledger.",
        "tags": ["supplies"], "parameters": [id_param("request_id"), IDEMPOTENCY],
        "requestBody": body_schema({"to": {"type": "string", "enum": [s for s in supplies.STATUSES if s != "requested"]},
                              "reason": NULLABLE_TEXT, "received_quantity": {"type": "number", "nullable": True},
                              "expiry": NULLABLE_DATE}, ["to"]),
        "responses": {"200": json_schema(SUPPLY_REQUEST), **error_responses(400, 403, 404, 409)}}},
    "/shelters/{ref}/needs": {"get": {
        "summary": "Needs estimated from the roster and the count-only heads: water and meals for everyone, "
                   "infants → formula and diapers, allergens, medical devices, diet (counts only, no names)",
        "tags": ["supplies"],
        "parameters": [REF, {"name": "days", "in": "query", "required": False, "schema": {"type": "integer"}}],
        "responses": {"200": json_schema({"type": "object", "properties": {
            "persons": {"type": "integer"}, "days": {"type": "integer"}, "infants": {"type": "integer"},
            "counted_only": {"type": "integer"}, "supplies": {"type": "array", "items": OBJ},
            "infant_supplies": {"type": "array", "items": OBJ}, "allergens": {"type": "array", "items": OBJ},
            "medical_devices": {"type": "array", "items": OBJ}, "diet": {"type": "array", "items": OBJ},
            "pickups": {"type": "object", "description": "Pickups recorded by IC card today: per kind (meal, water, "
                                                         "supplies, bath) taps, people, people more than once",
                        "properties": {"day": {"type": "string", "format": "date"},
                                       "kinds": {"type": "array", "items": OBJ}}}}}),
            **error_responses(400, 403, 404)}}},
}
