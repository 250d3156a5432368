"""API: check-ins (by scanned code or household record), check-outs, absences, transfers, head counts."""
from flask import current_app, jsonify

from ...db import get_db
from ...domain import codes, households, shelters
from ...domain.errors import Invalid, NotFound
from ...eventlog import done
from .. import once
from . import api_actor, api_user, bp, error_responses, json_body
from .cards import CARD_BODY, TAP_CARD
from .shelters import REF_PARAM


def _shelter(ref):
    db = get_db()
    shelter = shelters.get(db, ref)
    shelters.require_access(api_user(), shelter)
    return shelter


def request_id(kind):
    """The operation id the edge made from the Idempotency-Key (web/once.py), or None."""
    return once.operation_id()


def _visible(household):
    """The household (as loaded whole by the domain) as this token's role may see it (sensitive and
    非公開 only for lead/hq)."""
    return households.restrict(household, **households.visibility(api_user()["role"]))


def _household_ref(db, shelter, body):
    if body.get("household_id"):
        return str(body["household_id"])
    if body.get("reception_number"):
        found = households.by_number(db, codes.validate(str(body["reception_number"])))
        if found is None or found["shelter_id"] != shelter["id"]:
            raise NotFound("この避難所にその受付番号の世帯はありません。",
                           "No household with that reception number at this shelter.")
        return found["id"]
    raise Invalid("household_id か reception_number を指定してください。",
                  "Give household_id or reception_number.")


def _person_ids(body):
    ids = body.get("person_ids")
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise Invalid("person_ids は文字列の配列です。", "person_ids must be a list of strings.")
    return ids


@bp.route("/shelters/<ref>/checkins", methods=["POST"])
def post_checkin(ref):
    """Check in by a scanned code (reception number or pre-registration QR), or register a household."""
    db = get_db()
    shelter = _shelter(ref)
    body = json_body()
    if "card" in body:  # an IC card tapped: in or out by the person's state, or a pickup
        from .cards import tap

        return tap(shelter, body)
    if "code" in body:
        result = households.check_in(db, shelter["id"], str(body["code"] or ""), actor=api_actor(),
                                     request_id=request_id("checkin"), key=current_app.config.get("PREREG_KEY"))
        return jsonify(household=_visible(result["household"]), already=result["already"],
                       warnings=result["warnings"]), 200 if result["already"] else 201
    if not isinstance(body.get("household"), dict) or not isinstance(body.get("persons"), list):
        raise Invalid("code か、household と persons を送ってください。",
                      "Send either code, or household and persons.")
    status = body.get("status") or "checked_in"
    rid = request_id("register")
    repeated = done(db, rid) is not None
    household = households.register(db, shelter["id"], body["household"], body["persons"], actor=api_actor(),
                                    source=body.get("source") or "desk", status=status, request_id=rid,
                                    reception_number=body.get("reception_number"))
    return jsonify(household=_visible(household), already=repeated, warnings=[]), 200 if repeated else 201


@bp.route("/shelters/<ref>/checkouts", methods=["POST"])
def post_checkout(ref):
    """Check out a household, or some of its persons."""
    db = get_db()
    shelter = _shelter(ref)
    body = json_body()
    household = households.check_out(db, shelter["id"], _household_ref(db, shelter, body), actor=api_actor(),
                                     person_ids=_person_ids(body), source=body.get("source") or "desk",
                                     request_id=request_id("checkout"))
    return jsonify(household=_visible(household))


@bp.route("/shelters/<ref>/absences", methods=["POST"])
def post_absence(ref):
    """外泊届: persons away overnight ("away") or back ("back"). Away persons keep their place."""
    db = get_db()
    shelter = _shelter(ref)
    body = json_body()
    household_id = _household_ref(db, shelter, body)
    if body.get("state") == "back":
        household = households.set_back(db, shelter["id"], household_id, actor=api_actor(),
                                        person_ids=_person_ids(body), request_id=request_id("back"))
    elif body.get("state") == "away":
        household = households.set_away(db, shelter["id"], household_id, actor=api_actor(),
                                        person_ids=_person_ids(body), until=body.get("until"),
                                        request_id=request_id("away"))
    else:
        raise Invalid("state は away か back です。", "state must be away or back.")
    return jsonify(household=_visible(household))


@bp.route("/shelters/<ref>/transfers", methods=["POST"])
def post_transfer(ref):
    """Transfer a household to another open shelter: out here, in there, the record moved."""
    db = get_db()
    shelter = _shelter(ref)
    body = json_body()
    household_id = _household_ref(db, shelter, body)
    target = shelters.get(db, str(body.get("to") or ""))
    result = households.transfer(db, household_id, target["id"], actor=api_actor(),
                                 request_id=request_id("transfer"), from_shelter_id=shelter["id"])
    return jsonify(household=_visible(result["household"]), warnings=result["warnings"],
                   **{"from": shelter["id"], "to": target["id"]})


@bp.route("/shelters/<ref>/headcounts", methods=["POST"])
def post_headcount(ref):
    """Count-only mode: one person arrives (delta 1) or leaves (delta -1), by sex and age band."""
    db = get_db()
    shelter = _shelter(ref)
    body = json_body()
    delta = body.get("delta", 1)
    counts = households.count_head(db, shelter["id"], body.get("sex"), body.get("age_band"),
                                   actor=api_actor(), delta=delta if delta in (1, -1) else 0,
                                   request_id=request_id("headcount"))
    return jsonify(total=counts["total"],
                   groups=[{"sex": s, "age_band": b, "count": n} for (s, b), n in sorted(counts["groups"].items())])


@bp.route("/shelters/<ref>/households")
def get_households(ref):
    """The roster: checked-in households with their persons (sensitive fields for lead/hq only)."""
    db = get_db()
    shelter = _shelter(ref)
    return jsonify(households=households.roster(db, shelter["id"], **households.visibility(api_user()["role"])))


@bp.route("/shelters/<ref>/reception-numbers", methods=["POST"])
def post_reception_numbers(ref):
    """Reserve numbers for pre-numbered paper cards (lead/hq)."""
    db = get_db()
    shelter = _shelter(ref)
    try:
        count = int(json_body().get("count", 0))
    except (TypeError, ValueError):
        count = 0
    numbers = codes.reserve_block(db, shelter["id"], count, actor=api_actor(), request_id=request_id("cards"))
    return jsonify(numbers=numbers, display=[codes.display(n) for n in numbers]), 201


PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"}, "kana": {"type": "string"},
        "sex": {"type": "string", "enum": list(households.SEXES)},
        "birth_date": {"type": "string", "format": "date"}, "age": {"type": "integer", "minimum": 0},
        "relation": {"type": "string"}, "nationality": {"type": "string"}, "language": {"type": "string"},
        "injury_illness": {"type": "string"},
        "care_codes": {"type": "array", "items": {"type": "string", "enum": list(households.CARE_CODES)}},
        "allergens": {"type": "array", "items": {"type": "string", "enum": list(households.ALLERGENS)}},
        "allergens_other": {"type": "string"}, "medication": {"type": "string"},
        "medical_devices": {"type": "string"}, "diet": {"type": "string"}, "notes": {"type": "string"},
        "non_disclosure": {"type": "boolean", "description": "非公開 (DV etc.): never disclosed"},
    },
}
HOUSEHOLD_SCHEMA = {
    "type": "object",
    "properties": {
        "staying": {"type": "string", "enum": list(households.STAYING)},
        "zone_id": {"type": "string"}, "address": {"type": "string"}, "postcode": {"type": "string"},
        "phone": {"type": "string"}, "emergency_contact": {"type": "string"},
        "home_damage": {"type": "string", "enum": list(households.HOME_DAMAGE)},
        "pets": {"type": "string"}, "vehicle": {"type": "string"},
        "consent": {"type": "string", "enum": list(households.CONSENT)},
    },
}
HOUSEHOLD_OUT = {"type": "object", "properties": {
    **HOUSEHOLD_SCHEMA["properties"], "id": {"type": "string"}, "reception_number": {"type": "string"},
    "display_number": {"type": "string"}, "shelter_id": {"type": "string"},
    "status": {"type": "string", "enum": list(households.HOUSEHOLD_STATUSES)},
    "source": {"type": "string", "enum": list(households.SOURCES)},
    "persons": {"type": "array", "items": PERSON_SCHEMA}}}
RESULT = {"type": "object", "properties": {"household": HOUSEHOLD_OUT, "already": {"type": "boolean"},
                                           "warnings": {"type": "array", "items": {"type": "object"}}}}
CHECKIN_RESULT = {"type": "object", "properties": {**RESULT["properties"], "card": TAP_CARD}}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "A repeated request with the same key changes nothing and answers as the first"}
WHICH = {"household_id": {"type": "string"}, "reception_number": {"type": "string"},
         "person_ids": {"type": "array", "items": {"type": "string"}}}


def _op(summary, body_schema, ok, *errors, params=(REF_PARAM,), status="200"):
    op = {"summary": summary, "parameters": list(params),
          "responses": {status: {"description": ok, "content": {"application/json": {"schema": RESULT}}},
                        **error_responses(*errors)}}
    if body_schema is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
    return op


OPENAPI = {
    "/shelters/{ref}/checkins": {"post": {
        **_op("Check in by scanned code, or register a household",
              {"oneOf": [
                  {"type": "object", "required": ["code"], "properties": {"code": {
                      "type": "string", "description": "A reception number or a sealed pre-registration QR text"}}},
                  {"type": "object", "required": ["household", "persons"], "properties": {
                      "household": HOUSEHOLD_SCHEMA, "persons": {"type": "array", "items": PERSON_SCHEMA},
                      "status": {"type": "string", "enum": ["checked_in", "pending"]},
                      "source": {"type": "string", "enum": list(households.SOURCES)},
                      "reception_number": {"type": "string", "description": "of a pre-numbered paper card"}}},
                  CARD_BODY]},
              "Already checked in (a repeated scan)", 400, 401, 403, 404, 409,
              params=(REF_PARAM, IDEMPOTENCY)),
        "summary": "Check in by scanned code, register a household, or tap an IC card ({\"card\": …}: the "
                   "person checks in or out by their state, or with \"pickup\" a meal, water, supplies or bath "
                   "is counted; an unknown card answers 404 UnknownCard; a second tap within a few seconds 200)",
        "responses": {
            "201": {"description": "Checked in (or registered, or the card's tap recorded)",
                    "content": {"application/json": {"schema": CHECKIN_RESULT}}},
            "200": {"description": "Already checked in, or the same card tapped again just now; nothing changed",
                    "content": {"application/json": {"schema": CHECKIN_RESULT}}},
            **error_responses(400, 401, 403, 404, 409)},
    }},
    "/shelters/{ref}/checkouts": {"post": _op(
        "Check out a household or some of its persons", {"type": "object", "properties": WHICH},
        "The household after check-out", 400, 401, 403, 404, 409, params=(REF_PARAM, IDEMPOTENCY))},
    "/shelters/{ref}/absences": {"post": _op(
        "Overnight absence (外泊届) or return",
        {"type": "object", "required": ["state"], "properties": {
            **WHICH, "state": {"type": "string", "enum": ["away", "back"]}, "until": {"type": "string"}}},
        "The household", 400, 401, 403, 404, 409)},
    "/shelters/{ref}/transfers": {"post": _op(
        "Transfer a household to another open shelter",
        {"type": "object", "required": ["to"], "properties": {
            "household_id": {"type": "string"}, "reception_number": {"type": "string"},
            "to": {"type": "string", "description": "共通ID or id of the receiving shelter"}}},
        "The household at its new shelter", 400, 401, 403, 404, 409, params=(REF_PARAM, IDEMPOTENCY))},
    "/shelters/{ref}/headcounts": {"post": {
        "summary": "Count-only mode: one person arrives or leaves",
        "parameters": [REF_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "sex": {"type": "string", "enum": list(households.SEXES)},
                "age_band": {"type": "string", "enum": list(households.AGE_BANDS)},
                "delta": {"type": "integer", "enum": [1, -1]}}}}}},
        "responses": {"200": {"description": "Head counts of the shelter"}, **error_responses(400, 401, 403, 404, 409)},
    }},
    "/shelters/{ref}/households": {"get": {
        "summary": "The roster of checked-in households",
        "parameters": [REF_PARAM],
        "responses": {"200": {"description": "Households with persons", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"households": {"type": "array", "items": HOUSEHOLD_OUT}}}}}},
            **error_responses(401, 403, 404)},
    }},
    "/shelters/{ref}/reception-numbers": {"post": {
        "summary": "Reserve numbers for pre-numbered paper cards",
        "parameters": [REF_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["count"], "properties": {"count": {"type": "integer", "minimum": 1,
                                                                              "maximum": 2000}}}}}},
        "responses": {"201": {"description": "The reserved numbers"}, **error_responses(400, 401, 403, 404)},
    }},
}
