"""API: IC cards linked to persons of a shelter (a tap itself is posted to the check-in route as {"card": …})."""
from flask import current_app, jsonify, request

from ...db import get_db
from ...domain import households, iccards, shelters
from ...domain.errors import Invalid
from .. import once
from . import IDEMPOTENCY, REF, api_actor, api_user, body_schema, bp, error_responses, id_param, json_body, json_schema


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


@bp.route("/shelters/<ref>/cards")
def get_cards(ref):
    """The cards linked to people of the shelter (never the card's id or its hash)."""
    shelter = _shelter(ref)
    return jsonify(cards=iccards.links(get_db(), shelter["id"]))


@bp.route("/shelters/<ref>/cards", methods=["POST"])
def post_card(ref):
    """Link a card to a person of the shelter; a person's earlier card stops working."""
    shelter = _shelter(ref)
    body = json_body()
    linked = iccards.link(get_db(), shelter["id"], body.get("person_id"), body.get("card"), actor=api_actor(),
                          op=once.operation_id())
    return jsonify(card=_link_out(linked), already=linked["already"], replaced=linked["replaced"]), \
        200 if linked["already"] else 201


@bp.route("/shelters/<ref>/cards/<person_id>", methods=["DELETE"])
def delete_card(ref, person_id):
    """Unlink a person's card; ?lost=true when it was lost."""
    shelter = _shelter(ref)
    lost = request.args.get("lost", "false").lower()
    if lost not in ("true", "false", "1", "0"):
        raise Invalid("lost は true か false です。", "lost must be true or false.")
    gone = iccards.unlink(get_db(), shelter["id"], person_id, actor=api_actor(), lost=lost in ("true", "1"),
                          op=once.operation_id())
    return jsonify(unlinked=gone)


def _link_out(linked):
    return {k: linked.get(k) for k in ("person_id", "household_id", "linked_at", "linked_by", "last_tap_at",
                                       "last_mode", "last_action")}


def tap(shelter, body):
    """The check-in route's {"card": …}: (answer, status)."""
    db = get_db()
    pickup = body.get("pickup")
    tapped = iccards.tap(db, shelter["id"], body.get("card"), actor=api_actor(), mode=pickup or "inout",
                         op=once.operation_id(), repeat_seconds=current_app.config["CARD_REPEAT_SECONDS"])
    household = households.get(db, tapped["household_id"], **households.visibility(api_user()["role"]))
    card = {k: tapped[k] for k in ("result", "action", "mode", "person_id", "count_today", "message_ja",
                                   "message_en", "evacuee")}
    return jsonify(household=household, already=tapped["result"] == "already", warnings=tapped["warnings"],
                   card=card), 200 if tapped["result"] == "already" else 201


LINK = {"type": "object", "properties": {
    "person_id": {"type": "string"}, "household_id": {"type": "string"}, "reception_number": {"type": "string"},
    "display_number": {"type": "string"}, "linked_at": {"type": "string"}, "linked_by": {"type": "string"},
    "last_tap_at": {"type": "string"}, "last_mode": {"type": "string", "enum": list(iccards.MODES)},
    "last_action": {"type": "string"}}}
TAP_CARD = {"type": "object", "description": "What the tap did (only when the body had `card`)", "properties": {
    "result": {"type": "string", "enum": ["ok", "already"]},
    "action": {"type": "string", "enum": ["checked_in", "household_checked_in", "checked_out", "back",
                                          *iccards.PICKUPS]},
    "mode": {"type": "string", "enum": list(iccards.MODES)}, "person_id": {"type": "string"},
    "count_today": {"type": "integer", "description": "this person's pickups of this kind today"},
    "message_ja": {"type": "string"}, "message_en": {"type": "string"},
    "evacuee": {"type": "object", "description": "the same in the person's own language, where it is another",
                "properties": {"lang": {"type": "string"}, "text": {"type": "string"}}}}}
CARD_BODY = {"type": "object", "required": ["card"], "properties": {
    "card": {"type": "string", "description": "The card's id as the reader gives it (IDm/UID hex, 8–32 "
                                              "characters; separators and case do not matter)"},
    "pickup": {"type": "string", "enum": list(iccards.PICKUPS),
               "description": "Record a pickup instead of checking in or out"}}}
CARD_EXAMPLE = {"card": "01:2E:4C:81:9A:3B:5D:07"}

OPENAPI = {
    "/shelters/{ref}/cards": {
        "get": {"summary": "IC cards linked to people of the shelter (no card id or hash)", "tags": ["cards"],
                "parameters": [REF],
                "responses": {"200": json_schema({"type": "object", "properties": {
                    "cards": {"type": "array", "items": LINK}}}), **error_responses(403, 404)}},
        "post": {"summary": "Link an IC card to a person (one card, one person; a person's earlier card stops "
                            "working). A card linked to someone else answers 409",
                 "tags": ["cards"], "parameters": [REF, IDEMPOTENCY],
                 "requestBody": body_schema({"person_id": {"type": "string"}, "card": CARD_BODY["properties"]["card"]},
                                            ["person_id", "card"]),
                 "responses": {
                     "201": json_schema({"type": "object", "properties": {
                         "card": LINK, "already": {"type": "boolean"}, "replaced": {"type": "boolean"}}}, "Linked"),
                     "200": json_schema({"type": "object", "properties": {
                         "card": LINK, "already": {"type": "boolean"}, "replaced": {"type": "boolean"}}},
                         "Already linked to this person (or a retry with the same Idempotency-Key)"),
                     **error_responses(400, 403, 404, 409)}}},
    "/shelters/{ref}/cards/{person_id}": {"delete": {
        "summary": "Unlink a person's IC card (handed back, or lost: it stops working at once)", "tags": ["cards"],
        "parameters": [REF, id_param("person_id"), IDEMPOTENCY,
                       {"name": "lost", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["true", "false"]}}],
        "responses": {"200": json_schema({"type": "object", "properties": {"unlinked": {
            "type": "object", "properties": {"person_id": {"type": "string"}, "household_id": {"type": "string"},
                                             "reason": {"type": "string", "enum": list(iccards.UNLINK_REASONS)}}}}}),
            **error_responses(400, 403, 404)}}},
}
