"""API: shelters, their zones and lifecycle transitions."""
from flask import jsonify

from ...db import get_db
from ...domain import access, households, shelters
from .. import once
from . import api_actor, api_user, bp, error_responses, json_body

SHELTER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kyotsu_id": {"type": "string", "nullable": True, "description": "共通ID"},
        "name": {"type": "string"},
        "name_en": {"type": "string", "nullable": True},
        "address": {"type": "string", "nullable": True},
        "lat": {"type": "number", "nullable": True},
        "lon": {"type": "number", "nullable": True},
        "kind": {"type": "string", "enum": list(shelters.SHELTER_KINDS)},
        "state": {"type": "string", "enum": list(shelters.STATES)},
        "safety": {"type": "string", "nullable": True},
        "present": {"type": "integer"},
        "opened_at": {"type": "string", "nullable": True},
        "closed_at": {"type": "string", "nullable": True},
    },
}
REF_PARAM = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "共通ID, or the shelter's id where it has none"}


def shelter_json(shelter, present=0, zones=None):
    keys = ("id", "kyotsu_id", "name", "name_en", "address", "lat", "lon", "kind", "state", "safety",
            "opened_at", "closed_at", "state_changed_at", "hidden")
    out = {key: shelter.get(key) for key in keys}
    out["hidden"] = bool(out["hidden"])
    out["state_label"] = dict(zip(("ja", "en"), shelters.STATES[shelter["state"]]))
    out["present"] = present
    if zones is not None:
        out["zones"] = zones
    return out


def _visible(user, rows):
    return [s for s in rows if access.allowed(user, "work_shelter", s)]


@bp.route("/shelters")
def list_shelters():
    """The shelters this token may see."""
    db = get_db()
    counts = households.present_counts(db)
    rows = _visible(api_user(), shelters.list_all(db))
    return jsonify(shelters=[shelter_json(s, counts.get(s["id"], {}).get("total", 0)) for s in rows])


@bp.route("/shelters/<ref>")
def get_shelter(ref):
    db = get_db()
    shelter = shelters.get(db, ref)
    shelters.require_access(api_user(), shelter)
    return jsonify(shelter_json(shelter, shelters.present_count(db, shelter["id"]), shelters.zones(db, shelter["id"])))


@bp.route("/shelters/<ref>/transitions", methods=["POST"])
def post_transition(ref):
    """Move a shelter through its lifecycle; a refusal answers 409 with the reason."""
    db = get_db()
    shelter = shelters.get(db, ref)
    shelters.require_access(api_user(), shelter)
    body = json_body()
    shelter = shelters.transition(db, shelter["id"], str(body.get("to", "")), actor=api_actor(),
                                  reason=str(body.get("reason") or ""), confirmed=body.get("confirm") is True,
                                  request_id=once.operation_id())
    return jsonify(shelter_json(shelter, shelters.present_count(db, shelter["id"])))


@bp.route("/shelters/<ref>/zones", methods=["POST"])
def post_zone(ref):
    """Add a zone (room) to a shelter."""
    db = get_db()
    shelter = shelters.get(db, ref)
    shelters.require_access(api_user(), shelter)
    zone = shelters.add_zone(db, shelter["id"], json_body(), actor=api_actor(), request_id=once.operation_id())
    return jsonify(zone), 201


OPENAPI = {
    "/shelters": {
        "get": {
            "summary": "List shelters",
            "responses": {"200": {"description": "Shelters", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"shelters": {"type": "array", "items": SHELTER_SCHEMA}}}}}},
                **error_responses(401)},
        }
    },
    "/shelters/{ref}": {
        "get": {
            "summary": "One shelter with its zones",
            "parameters": [REF_PARAM],
            "responses": {"200": {"description": "The shelter",
                                  "content": {"application/json": {"schema": SHELTER_SCHEMA}}},
                          **error_responses(401, 403, 404)},
        }
    },
    "/shelters/{ref}/transitions": {
        "post": {
            "summary": "Move a shelter to another lifecycle state",
            "parameters": [REF_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["to"],
                "properties": {"to": {"type": "string", "enum": list(shelters.STATES)},
                               "reason": {"type": "string"},
                               "confirm": {"type": "boolean",
                                           "description": "needed to move to closing and to close"}}}}}},
            "responses": {"200": {"description": "The shelter in its new state",
                                  "content": {"application/json": {"schema": SHELTER_SCHEMA}}},
                          **error_responses(400, 401, 403, 404, 409)},
        }
    },
    "/shelters/{ref}/zones": {
        "post": {
            "summary": "Add a zone",
            "parameters": [REF_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "kind": {"type": "string",
                                                                   "enum": list(shelters.ZONE_KINDS)},
                               "usable_m2": {"type": "number"}, "blocked_places": {"type": "integer"}}}}}},
            "responses": {"201": {"description": "The new zone (a lead or HQ); the same Idempotency-Key "
                                                 "returns the zone added the first time"},
                          **error_responses(400, 401, 403, 404)},
        }
    },
}
