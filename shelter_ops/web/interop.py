"""HQ's exports to the national systems: Lアラート 避難所情報 (download or send) and the 被災者台帳 roster."""
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import lalert
from . import current_user, hq_tool, roles_required

bp = Blueprint("interop", __name__, url_prefix="/hq/interop")

hq_tool("interop.index", "Lアラート・被災者台帳", "L-Alert & disaster victims' register")

MIMETYPES = {"xml": "application/xml", "csv": "text/csv"}


def download(document, fmt):
    """An issued document as a file download (XML or CSV)."""
    data = lalert.to_xml(document) if fmt == "xml" else lalert.to_csv(document)
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{lalert.filename(document, fmt)}"',
        "Cache-Control": "no-store"})


@bp.route("/")
@roles_required("hq")
def index():
    """The next Lアラート document as it would go out, what was issued before, and the roster export."""
    db = get_db()
    preview = lalert.next_document(db, current_app.config)
    return render_template("interop/index.html", preview=preview, history=lalert.history(db, limit=50),
                           endpoint=current_app.config.get("LALERT_ENDPOINT"), vocab=lalert)


@bp.route("/lalert", methods=["POST"])
@roles_required("hq")
def lalert_issue():
    """Issue the next revision: download it as XML or CSV, send it to the endpoint, or withdraw (Cancel)."""
    user = current_user()
    action = request.form.get("action", "xml")
    options = {"reason": request.form.get("reason", ""), "status": request.form.get("status") or None,
               "disaster_name": request.form.get("disaster_name") or None, "cancel": action == "cancel"}
    db, config = get_db(), current_app.config
    if action == "send":
        document = lalert.send(db, config, actor=user["name"], role=user["role"], **options)
        return redirect(url_for("interop.index", sent=document["revision"]))
    document = lalert.issue(db, config, actor=user["name"], role=user["role"], **options)
    return download(document, "csv" if action == "csv" else "xml")


@bp.route("/lalert/<document_id>/<int:revision>.<any(xml, csv):fmt>")
@roles_required("hq")
def lalert_again(document_id, revision, fmt):
    """A revision issued before, exactly as it went out (no new revision)."""
    return download(lalert.issued(get_db(), document_id, revision), fmt)
