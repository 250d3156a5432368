"""API: closing a shelter — status, consolidation, the handover export, the purge, the retention purge."""

from flask import Response, current_app, jsonify

from ...db import get_db
from ...domain import clock, closing, privacy, shelters
from ...domain.errors import Forbidden
from ..closing import roster_pdf
from . import api_actor, api_user, bp, error_responses, json_body

REF_PARAM = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "共通ID, or the shelter's id where it has none"}


def _shelter(ref):
    shelter = shelters.get(get_db(), ref)
    shelters.require_access(api_user(), shelter)
    return shelter


@bp.route("/shelters/<ref>/closing")
def closing_status(ref):
    """Where the shelter stands on its way out, and the next step."""
    return jsonify(closing.status(get_db(), _shelter(ref)["id"]))


@bp.route("/shelters/<ref>/consolidate", methods=["POST"])
def post_consolidate(ref):
    """Move everyone to an open shelter in one action (needs "confirm": true)."""
    shelter = _shelter(ref)
    body = json_body()
    target = shelters.get(get_db(), str(body.get("to", "")))
    result = closing.consolidate(get_db(), shelter["id"], target["id"], actor=api_actor(),
                                 confirmed=body.get("confirm") is True)
    return jsonify(households=result["households"], persons=result["persons"], heads=result["heads"],
                   to=shelters.ref(result["to"]))


@bp.route("/shelters/<ref>/handover", methods=["POST"])
def post_handover(ref):
    """The handover export (ZIP), logged with its reason."""
    shelter = _shelter(ref)
    result = closing.export(get_db(), shelter["id"], actor=api_actor(),
                            reason=str(json_body().get("reason") or ""), render_pdf=roster_pdf)
    return Response(result["data"], mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"',
                             "Cache-Control": "no-store"})


@bp.route("/shelters/<ref>/purge", methods=["POST"])
def post_purge(ref):
    """Remove the shelter's personal data (after the handover; "confirm": true)."""
    shelter = _shelter(ref)
    if json_body().get("confirm") is not True:
        from ...domain.errors import Conflict

        raise Conflict("消去するには確認が必要です。", "Removing personal data needs confirmation.")
    return jsonify(privacy.purge(get_db(), shelter["id"], actor=api_actor()))


@bp.route("/purge-due", methods=["POST"])
def post_purge_due():
    """HQ: run the retention purge now."""
    if api_user()["role"] != "hq":
        raise Forbidden("本部の権限が必要です。", "This needs the HQ role.")
    return jsonify(privacy.purge_due(get_db(), clock.local_date(), retention_days=current_app.config["RETENTION_DAYS"],
                                     actor=api_actor()))


CONFIRM = {"type": "object", "required": ["confirm"], "properties": {"confirm": {"type": "boolean"}}}

OPENAPI = {
    "/shelters/{ref}/closing": {
        "get": {"summary": "Closing status and next step", "parameters": [REF_PARAM],
                "responses": {"200": {"description": "Status: next is consolidate | close | final_report | "
                                                     "export | purge | done"}, **error_responses(401, 403, 404)}},
    },
    "/shelters/{ref}/consolidate": {
        "post": {"summary": "Move everyone to an open shelter (統合); the shelter goes to 閉鎖準備",
                 "parameters": [REF_PARAM],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["to", "confirm"],
                     "properties": {"to": {"type": "string", "description": "共通ID of the receiving shelter"},
                                    "confirm": {"type": "boolean"}}}}}},
                 "responses": {"200": {"description": "How many were moved"},
                               **error_responses(400, 401, 403, 404, 409)}},
    },
    "/shelters/{ref}/handover": {
        "post": {"summary": "Handover export to HQ: ZIP of roster.csv (+ roster.pdf) and events.csv; logged",
                 "parameters": [REF_PARAM],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                 "responses": {"200": {"description": "The ZIP", "content": {"application/zip": {
                     "schema": {"type": "string", "format": "binary"}}}},
                     **error_responses(400, 401, 403, 404, 409)}},
    },
    "/shelters/{ref}/purge": {
        "post": {"summary": "Remove the shelter's personal data (refused with 409 before the handover)",
                 "parameters": [REF_PARAM],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": CONFIRM}}},
                 "responses": {"200": {"description": "Counts of what was anonymised"},
                               **error_responses(400, 401, 403, 404, 409)}},
    },
    "/purge-due": {
        "post": {"summary": "HQ: purge every handed-over shelter closed RETENTION_DAYS ago or more",
                 "responses": {"200": {"description": "purged and not_exported shelter ids"},
                               **error_responses(401, 403)}},
    },
}
