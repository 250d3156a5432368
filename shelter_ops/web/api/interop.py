"""API: exports to the national systems — Lアラート 避難所情報 (HQ: preview, issue, send, history), 被災者台帳 roster."""
from flask import Response, current_app, jsonify, request

from ...db import get_db
from ...domain import daicho, lalert, shelters
from ...domain.errors import Forbidden
from . import api_user, bp, error_responses, json_body


def _hq():
    user = api_user()
    if user["role"] != "hq":
        raise Forbidden("この操作は本部だけができます。", "Only HQ can do this.")
    return user


def _summary(document):
    return {key: document[key] for key in ("document_id", "revision", "previous_revision", "distribution_type",
                                           "distribution_status", "report_at", "errata", "corrections", "totals",
                                           "shelters") if key in document}


@bp.route("/lalert")
def lalert_preview():
    """The document the next issue would send (nothing is recorded)."""
    _hq()
    return jsonify(_summary(lalert.next_document(get_db(), current_app.config)))


@bp.route("/lalert", methods=["POST"])
def lalert_post():
    """Issue the next revision: the XML (or CSV) in the answer, or sent to LALERT_ENDPOINT with "send": true."""
    user = _hq()
    body = json_body() if request.get_data() else {}
    options = {"cancel": body.get("cancel") is True, "reason": str(body.get("reason") or ""),
               "status": body.get("status") or None, "disaster_name": body.get("disaster_name")}
    db, config = get_db(), current_app.config
    if body.get("send") is True:
        document = lalert.send(db, config, actor=user["name"], role=user["role"], **options)
        return jsonify({**_summary(document), "delivery": "sent", "endpoint": document["endpoint"]})
    document = lalert.issue(db, config, actor=user["name"], role=user["role"], **options)
    fmt = "csv" if body.get("format") == "csv" else "xml"
    data = lalert.to_csv(document) if fmt == "csv" else lalert.to_xml(document)
    return Response(data, mimetype="text/csv" if fmt == "csv" else "application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{lalert.filename(document, fmt)}"',
                             "X-Document-Revision": str(document["revision"]), "Cache-Control": "no-store"})


@bp.route("/lalert/history")
def lalert_history():
    """Issued revisions, newest first (without the shelter lists)."""
    _hq()
    return jsonify(lalert.history(get_db()))


@bp.route("/daicho", methods=["POST"])
def daicho_post():
    """The 被災者台帳 roster (CSV or JSON): HQ for every shelter or one, a lead for their own; logged."""
    user = api_user()
    body = json_body()
    ref = body.get("shelter")
    shelter_id = shelters.get(get_db(), str(ref))["id"] if ref else None
    result = daicho.export(get_db(), current_app.config, actor=user["name"], role=user["role"],
                           reason=str(body.get("reason") or ""), fmt=body.get("format") or "csv",
                           provided_to=str(body.get("provided_to") or ""), shelter_id=shelter_id,
                           own_shelter_id=user.get("shelter_id"))
    return Response(result["data"], mimetype=result["mimetype"], headers={
        "Content-Disposition": f'attachment; filename="{result["filename"]}"', "Cache-Control": "no-store",
        "X-Export-Event": result["event_id"]})


DAICHO = {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "description": "Why the roster is exported (logged)"},
    "format": {"type": "string", "enum": list(daicho.FORMATS)},
    "provided_to": {"type": "string", "description": "提供先, written in every row and in the log"},
    "shelter": {"type": "string", "nullable": True, "description": "共通ID of one shelter (a lead: their own)"}}}

ISSUE = {"type": "object", "properties": {
    "cancel": {"type": "boolean", "description": "Withdraw the issued document (Cancel); needs a reason"},
    "reason": {"type": "string", "description": "Errata text: why this corrects or withdraws the last issue"},
    "status": {"type": "string", "enum": list(lalert.DISTRIBUTION_STATUSES), "nullable": True},
    "disaster_name": {"type": "string", "nullable": True},
    "format": {"type": "string", "enum": ["xml", "csv"]},
    "send": {"type": "boolean", "description": "POST the XML to LALERT_ENDPOINT instead of returning it"}}}

OPENAPI = {
    "/lalert": {
        "get": {"summary": "HQ: the next Lアラート 避難所情報 document as it would go out (nothing recorded)",
                "responses": {"200": {"description": "Kind, revision, shelters, totals, corrections"},
                              **error_responses(401, 403)}},
        "post": {"summary": "HQ: issue the next revision (Report, Update, or Cancel); recorded as an event",
                 "requestBody": {"required": False, "content": {"application/json": {"schema": ISSUE}}},
                 "responses": {"200": {"description": "The EDXL-DE XML (or CSV), or the send's summary",
                                       "content": {"application/xml": {"schema": {"type": "string"}},
                                                   "text/csv": {"schema": {"type": "string"}}}},
                               **error_responses(400, 401, 403, 409, 424)}},
    },
    "/daicho": {
        "post": {"summary": "被災者台帳 roster: the items of 災害対策基本法 90条の3, no 非公開 person; lead/HQ; logged",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": DAICHO}}},
                 "responses": {"200": {"description": "The CSV (UTF-8 with BOM) or JSON",
                                       "content": {"text/csv": {"schema": {"type": "string"}},
                                                   "application/json": {"schema": {"type": "object"}}}},
                               **error_responses(400, 401, 403, 404)}},
    },
    "/lalert/history": {
        "get": {"summary": "HQ: issued Lアラート revisions, newest first",
                "responses": {"200": {"description": "Issued revisions"}, **error_responses(401, 403)}},
    },
}
