"""API: residents' requests (要望), keyed in by staff and handled."""
from flask import jsonify, request

from ...db import get_db
from ...domain import resident_requests, shelters
from ...domain.errors import Invalid
from .. import once
from . import (IDEMPOTENCY, NULLABLE_TEXT, OBJ, REF, STATUS_QUERY, api_actor, api_user, body_schema, bp,
               error_responses, id_param, json_body, json_schema)


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


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
                                    actor=api_actor(), op=once.operation_id())
    return jsonify(item), 201


@bp.route("/shelters/<ref>/resident-requests/<request_id>/handled", methods=["POST"])
def post_handled(ref, request_id):
    shelter = _shelter(ref)
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}  # the note is optional, and so is the body
    item = resident_requests.mark_handled(get_db(), shelter["id"], request_id, note=body.get("note", ""),
                                          actor=api_actor(), op=once.operation_id())
    return jsonify(item)


OPENAPI = {
    "/shelters/{ref}/resident-requests": {
        "get": {"summary": "Residents' requests (要望)", "tags": ["residents' requests"],
                "parameters": [REF, STATUS_QUERY],
                "responses": {"200": json_schema({"type": "object", "properties": {
                    "requests": {"type": "array", "items": OBJ}}}), **error_responses(400, 403, 404)}},
        "post": {"summary": "Key in a request from paper; anonymous unless a name is given",
                 "tags": ["residents' requests"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": body_schema({"category": {"type": "string", "enum": list(resident_requests.CATEGORIES)},
                                       "text": {"type": "string"}, "name": NULLABLE_TEXT,
                                       "room": NULLABLE_TEXT, "anonymous": {"type": "boolean", "nullable": True}},
                                      ["category", "text"]),
                 "responses": {"201": json_schema(OBJ, "Recorded"), **error_responses(400, 403, 404)}}},
    "/shelters/{ref}/resident-requests/{request_id}/handled": {"post": {
        "summary": "Mark a resident's request handled, with a note", "tags": ["residents' requests"],
        "parameters": [REF, id_param("request_id")],
        "requestBody": body_schema({"note": NULLABLE_TEXT}),  # a JSON object; {} when there is nothing to note
        "responses": {"200": json_schema(OBJ), **error_responses(403, 404, 409)}}},

}
