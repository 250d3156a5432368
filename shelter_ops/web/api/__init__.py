"""The JSON API /api/v1: bearer tokens, JSON errors in ja and en, and its OpenAPI document."""
import functools
import importlib
import re

import fastjsonschema
import jsonschema

from flask import Blueprint, g, jsonify, request

from ...db import get_db
from ...domain import accounts
from ...domain.errors import DomainError, Invalid
from .. import once

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The modules of this package: each adds its routes to bp and its paths to the OpenAPI document
# (a dict named OPENAPI). A new module is added here.
MODULES = ["cards", "checkins", "closing", "daylog", "inquiries", "interop", "reports", "resident_requests", "shelters",
           "supplies"]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "message_ja", "message_en"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "message_ja": {"type": "string"},
                "message_en": {"type": "string"},
            },
        }
    },
}


def error_responses(*statuses):
    """OpenAPI responses for the 4xx answers of an operation."""
    return {str(s): {"description": "Refused, with the reason in ja and en",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for s in statuses}


# Parts of the OpenAPI document the modules share
REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "共通ID, or the shelter's id where it has none"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "A UUID of the client's; the same key again changes nothing"}
OBJ = {"type": "object"}
NULLABLE_TEXT = {"type": "string", "nullable": True}
NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}


def json_schema(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def body_schema(properties, required=()):
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": list(required), "properties": properties}}}}


def id_param(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


STATUS_QUERY = {"name": "status", "in": "query", "required": False, "schema": {"type": "string"}}


def api_user():
    return g.api_user


def api_actor():
    """Who is acting through this token, for the domain's rules and the event log."""
    from ...eventlog import actor_of

    return actor_of(g.api_user)


def json_body():
    """The request's JSON object. :raise Invalid: when the body is not a JSON object"""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("JSON オブジェクトを送ってください。", "Send a JSON object.")
    return data


@bp.before_request
def authenticate():
    if request.endpoint in ("api.openapi",):
        return None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    user = accounts.user_for_token(get_db(), token) if token else None
    if user is None:
        return jsonify(error=DomainError(
            "APIトークンが必要です（Authorization: Bearer …）。",
            "An API token is needed (Authorization: Bearer …).", code="Unauthorized").as_dict()), 401
    g.api_user = user
    return None


@bp.before_request
def validate_body():
    """Check a JSON body against the operation's schema in the OpenAPI document, so a wrongly typed
    field is a 400 naming the field, in every module alike, before any domain code sees it."""
    rule = _placeholders(request.url_rule.rule) if request.url_rule else ""
    required, is_valid, validator = _body_validators().get((rule, request.method), (False, None, None))
    if validator is None or (not required and not request.get_data()):
        return None
    data = request.get_json(silent=True)
    if data is None:
        raise Invalid("JSON を送ってください。", "Send a JSON body.")
    if is_valid(data):  # the check-in hot path: compiled code, no error collection for a good body
        return None
    # (where the two disagree, e.g. fastjsonschema's stricter formats, jsonschema's verdict stands)
    # a missing field is left to the domain, whose message says what the field is for
    errors = (e for e in validator.iter_errors(data) if e.validator != "required")
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        raise Invalid(f"入力の形式が正しくありません（{where}）: {error.message}",
                      f"The request does not have the expected form ({where}): {error.message}",
                      field=where)
    return None


@bp.before_request
def begin_once():
    """A retried call with the same Idempotency-Key gets the first answer (web/once.py)."""
    if request.endpoint in ("api.openapi",):
        return None
    return once.api_begin(g.api_user)


bp.after_request(once.api_finish)
bp.teardown_request(once.api_teardown)


@functools.lru_cache(maxsize=None)
def _body_validators():
    """{(flask rule, method): (body required?, fast yes/no check, validator that explains)}, from the
    OpenAPI document. fastjsonschema compiles the schema to Python (~20x faster on a good body);
    jsonschema, only on a bad one, finds the error that best names the field."""
    found = {}
    for path, operations in spec()["paths"].items():
        rule = _placeholders(bp.url_prefix + path)
        for method, operation in operations.items():
            body = operation.get("requestBody", {})
            if "application/json" in body.get("content", {}):
                schema = _nullable(body["content"]["application/json"]["schema"])
                found[(rule, method.upper())] = (body.get("required", False), _compiled(schema),
                                                 jsonschema.Draft4Validator(schema))
    return found


def _compiled(schema):
    """A function: body → True when it matches `schema` (draft 4, as jsonschema checks it)."""
    check = fastjsonschema.compile({"$schema": "http://json-schema.org/draft-04/schema#", **schema},
                                   handlers={}, use_default=False)

    def is_valid(data):
        try:
            check(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True
    return is_valid


def _nullable(schema):
    """OpenAPI 3.0 `nullable: true` as JSON Schema's type [..., "null"]."""
    if isinstance(schema, dict):
        schema = {k: _nullable(v) for k, v in schema.items()}
        if schema.pop("nullable", False) and isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
        return schema
    if isinstance(schema, list):
        return [_nullable(item) for item in schema]
    return schema


def _placeholders(path):
    """A Flask rule or an OpenAPI path with each parameter as `*`, so the two can be matched."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path)


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.0 document of this API."""
    return jsonify(spec())


# One example request body per operation ("METHOD /path"), shown in the document; a test checks that
# every body has one and that each is valid against its schema.
EXAMPLES = {
    "POST /inquiries": {"name": "鎌倉 花子", "birth_year": 1954, "relation": "household",
                        "inquirer_name": "鎌倉 一郎", "inquirer_contact": "090-0000-0000"},
    "POST /daicho": {"reason": "県の被災者台帳への提供", "format": "csv", "provided_to": "神奈川県"},
    "POST /lalert": {"action": "preview"},
    "POST /shelters/{ref}/absences": {"reception_number": "K7Q2-M9XA", "state": "away", "until": "2026-01-18"},
    "POST /shelters/{ref}/announcements": {"ja": "本日18時に夕食を配ります。", "en": "Dinner is served at 18:00.",
                                           "starts_at": "2026-01-17T08:00:00+09:00",
                                           "ends_at": "2026-01-17T19:00:00+09:00"},
    "POST /shelters/{ref}/checkins": {"household": {"staying": "shelter", "phone": "0467-23-3000",
                                                    "consent": "family"},
                                      "persons": [{"name": "鎌倉 花子", "kana": "かまくら はなこ", "sex": "female",
                                                   "birth_date": "1954-04-01", "care_codes": ["MED"]}],
                                      "status": "checked_in"},
    "POST /shelters/{ref}/cards": {"person_id": "0192b7c4-5e1a-7c3d-9f20-6a8b1c2d3e4f",
                                   "card": "01:2E:4C:81:9A:3B:5D:07"},
    "POST /shelters/{ref}/checkouts": {"reception_number": "K7Q2-M9XA"},
    "POST /shelters/{ref}/consolidate": {"to": "E1420400002111", "confirm": True},
    "POST /shelters/{ref}/handover": {"reason": "閉鎖に伴う本部への引き渡し"},
    "POST /shelters/{ref}/headcounts": {"sex": "female", "age_band": "elderly", "delta": 1},
    "POST /shelters/{ref}/log": {"kind": "status", "text": "朝の点呼", "period": "morning", "count": 104},
    "POST /shelters/{ref}/purge": {"confirm": True},
    "POST /shelters/{ref}/reception-numbers": {"count": 50},
    "POST /shelters/{ref}/reports": {"urgent": "毛布が不足", "reason": "定時報告"},
    "POST /shelters/{ref}/resident-requests": {"category": "supplies", "text": "おむつ（Mサイズ）が欲しい",
                                               "room": "体育館 B-3", "anonymous": True},
    "POST /shelters/{ref}/resident-requests/{request_id}/handled": {"note": "本部に物資要請済み"},
    "POST /shelters/{ref}/supplies/moves": {"direction": "in", "item": "飲料水 500ml", "quantity": 48,
                                            "unit": "本", "expiry": "2027-03-31", "note": "市の備蓄"},
    "POST /shelters/{ref}/supply-requests": {"item": "毛布", "quantity": 30, "unit": "枚", "priority": "high",
                                             "wanted_by": "2026-01-18", "note": "夜間の冷え込み"},
    "POST /shelters/{ref}/transfers": {"reception_number": "K7Q2-M9XA", "to": "E1420400002111"},
    "POST /shelters/{ref}/transitions": {"to": "open", "reason": "震度5強"},
    "POST /shelters/{ref}/zones": {"name": "体育館", "kind": "general", "usable_m2": 700, "blocked_places": 0},
    "POST /supply-requests/{request_id}/transitions": {"to": "received", "received_quantity": 30},
}


def _nullable_unless_required(schema):
    """A response schema in which every property that is not `required` may be null: the API answers
    null for a field with no value (a household without a phone), and the document says so."""
    if isinstance(schema, list):
        return [_nullable_unless_required(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: _nullable_unless_required(v) for k, v in schema.items()}
    required = set(schema.get("required", ()))
    for name, prop in (schema.get("properties") or {}).items():
        if name not in required and isinstance(prop, dict) and "$ref" not in prop:
            prop["nullable"] = True
            if "enum" in prop and None not in prop["enum"]:
                prop["enum"] = [*prop["enum"], None]
    return schema


def _complete(path, method, operation):
    """The answers every operation can give documented on each: 401 (no token), 404 (an unknown id in
    the path), 400 and 413 (a body that is not JSON, or too large); a POST whose first answer is 201
    answers a retry with the same Idempotency-Key 200. Response schemas allow null where not required;
    the example request body goes in."""
    responses = operation.setdefault("responses", {})
    wanted = {"401"}
    if "{" in path:
        wanted.add("404")
    body = operation.get("requestBody")
    if body:
        wanted |= {"400", "413"}
        content = body.get("content", {}).get("application/json")
        example = EXAMPLES.get(f"{method.upper()} {path}")
        if content is not None and example is not None:
            content["example"] = example
    for status, documented in error_responses(*sorted(wanted)).items():
        responses.setdefault(status, documented)
    if "201" in responses and "200" not in responses and any(
            p.get("name") == "Idempotency-Key" for p in operation.get("parameters", ())):
        responses["200"] = {**responses["201"], "description": "A retry with the same Idempotency-Key: nothing "
                                                               "changed"}
    for answer in responses.values():
        for content in answer.get("content", {}).values():
            if "schema" in content:
                content["schema"] = _nullable_unless_required(content["schema"])
    return operation


def spec():
    import copy

    paths = {}
    for name in MODULES:
        paths.update(copy.deepcopy(importlib.import_module(f"{__name__}.{name}").OPENAPI))
    for path, operations in paths.items():
        for method, operation in operations.items():
            _complete(path, method, operation)
    return {
        "openapi": "3.0.3",
        "info": {"title": "shelter-ops API", "version": "1",
                 "description": "Shelters addressed by 共通ID where they have one. Errors carry ja and en. "
                                "A field not listed as required may be null."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


def _load_modules():
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")


def _exempt_csrf(state):
    from ... import csrf

    csrf.exempt(bp)


bp.record_once(_exempt_csrf)
_load_modules()
