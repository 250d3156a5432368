"""The JSON API /api/v1: bearer tokens, JSON errors in ja and en, and its OpenAPI document."""
import importlib
import pkgutil

from flask import Blueprint, g, jsonify, request

from ...db import get_db
from ...domain import accounts
from ...domain.errors import DomainError, Invalid

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Every module of this package adds its routes to bp and its paths to the OpenAPI document
# (a dict named OPENAPI); a new module needs no registration.
MODULES = sorted(m.name for m in pkgutil.iter_modules(__path__))

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


def api_user():
    return g.api_user


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


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.0 document of this API."""
    return jsonify(spec())


def spec():
    paths = {}
    for name in MODULES:
        paths.update(importlib.import_module(f"{__name__}.{name}").OPENAPI)
    return {
        "openapi": "3.0.3",
        "info": {"title": "shelter-ops API", "version": "1",
                 "description": "Shelters addressed by 共通ID where they have one. Errors carry ja and en."},
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
