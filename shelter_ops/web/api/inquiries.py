"""API: safety inquiries (安否確認) for HQ, answered within the consent and logged."""
from flask import jsonify

from ...db import get_db
from ...domain import inquiries
from ...domain.errors import Forbidden
from . import api_actor, api_user, bp, error_responses, json_body


def _require_hq():
    if api_user()["role"] != "hq":
        raise Forbidden("安否確認は本部だけが行います。", "Only HQ answers safety inquiries.")


@bp.route("/inquiries", methods=["POST"])
def post_inquiry():
    """Answer a safety inquiry. The body is the same for an unknown name, a person who gave no consent,
    and a 非公開 person: {"answers": [], "message": ...}."""
    _require_hq()
    result = inquiries.ask(get_db(), json_body(), operator=api_actor())
    ja, en = result["message"]
    return jsonify(answers=result["answers"], message={"ja": ja, "en": en})


@bp.route("/inquiries", methods=["GET"])
def inquiry_log():
    """The inquiry log: who asked, for whom, how related, what was told."""
    _require_hq()
    return jsonify(inquiries=inquiries.log(get_db()))


ANSWER = {"type": "object", "properties": {
    "name": {"type": "string"}, "safe": {"type": "boolean"},
    "injured_or_ill": {"type": "boolean", "description": "family and relatives, with consent"},
    "shelter": {"type": "object", "description": "family living together, or consent 公開可"},
    "left": {"type": "boolean"}}}

OPENAPI = {
    "/inquiries": {
        "post": {
            "summary": "HQ: answer a safety inquiry (logged)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "relation", "inquirer_name"],
                "properties": {"name": {"type": "string", "description": "full name or kana"},
                               "birth_year": {"type": "integer", "nullable": True},
                               "relation": {"type": "string", "enum": list(inquiries.RELATIONS)},
                               "inquirer_name": {"type": "string"},
                               "inquirer_contact": {"type": "string", "nullable": True},
                               "reason": {"type": "string", "nullable": True}}}}}},
            "responses": {"200": {"description": "What may be told; an empty list when nothing may be",
                                  "content": {"application/json": {"schema": {"type": "object", "properties": {
                                      "answers": {"type": "array", "items": ANSWER},
                                      "message": {"type": "object"}}}}}},
                          **error_responses(400, 401, 403)},
        },
        "get": {"summary": "HQ: the inquiry log", "responses": {"200": {"description": "Inquiries, newest first"},
                                                               **error_responses(401, 403)}},
    },
}
