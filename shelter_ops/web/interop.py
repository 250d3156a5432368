"""HQ's exports to the national systems: Lアラート 避難所情報 (download or send) and the 被災者台帳 roster."""
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import daicho, lalert, shelters
from . import current_user, hq_tool, roles_required, shelter_for, shelter_tool

bp = Blueprint("interop", __name__)

hq_tool("interop.index", "Lアラート・被災者台帳", "L-Alert & disaster victims' register")
shelter_tool("interop.shelter_daicho", "被災者台帳への出力", "Export for the victims' register", roles=("hq", "lead"))

MIMETYPES = {"xml": "application/xml", "csv": "text/csv"}


def download(document, fmt):
    """An issued document as a file download (XML or CSV)."""
    data = lalert.to_xml(document) if fmt == "xml" else lalert.to_csv(document)
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{lalert.filename(document, fmt)}"',
        "Cache-Control": "no-store"})


@bp.route("/hq/interop/")
@roles_required("hq")
def index():
    """The next Lアラート document as it would go out, what was issued before, and the roster export."""
    db = get_db()
    preview = lalert.next_document(db, current_app.config)
    return render_template("interop/index.html", preview=preview, history=lalert.history(db, limit=50),
                           endpoint=current_app.config.get("LALERT_ENDPOINT"), vocab=lalert,
                           shelters=shelters.list_all(db), exports=daicho.exports(db, limit=20), svocab=shelters)


@bp.route("/hq/interop/lalert", methods=["POST"])
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


@bp.route("/hq/interop/lalert/<document_id>/<int:revision>.<any(xml, csv):fmt>")
@roles_required("hq")
def lalert_again(document_id, revision, fmt):
    """A revision issued before, exactly as it went out (no new revision)."""
    return download(lalert.issued(get_db(), document_id, revision), fmt)


def _daicho_download(shelter_id=None):
    user = current_user()
    result = daicho.export(get_db(), current_app.config, actor=user["name"], role=user["role"],
                           reason=request.form.get("reason", ""), fmt=request.form.get("format", "csv"),
                           provided_to=request.form.get("provided_to", ""), shelter_id=shelter_id,
                           own_shelter_id=user.get("shelter_id"))
    return Response(result["data"], mimetype=result["mimetype"], headers={
        "Content-Disposition": f'attachment; filename="{result["filename"]}"', "Cache-Control": "no-store"})


@bp.route("/hq/interop/daicho", methods=["POST"])
@roles_required("hq")
def hq_daicho():
    """HQ: the 被災者台帳 roster of every shelter (or of the one chosen), logged with its reason."""
    ref = request.form.get("shelter") or None
    return _daicho_download(shelters.get(get_db(), ref)["id"] if ref else None)


@bp.route("/shelters/<ref>/daicho", methods=["GET", "POST"])
@roles_required("hq", "lead")
def shelter_daicho(ref):
    """A shelter's roster for the 被災者台帳 (lead of the shelter, or HQ), logged with its reason."""
    shelter = shelter_for(ref)
    if request.method == "POST":
        return _daicho_download(shelter["id"])
    return render_template("interop/daicho.html", shelter=shelter,
                           exports=[e for e in daicho.exports(get_db()) if e["shelter_id"] == shelter["id"]])
