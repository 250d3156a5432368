"""Shelter nodes on screen: HQ pairs, watches and revokes nodes, takes sync files and decides on possible
duplicates; a node shows its link to HQ and syncs (or writes a file for a USB stick) at a tap."""
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from .. import sync, sync_client
from ..db import get_db
from ..domain import duplicates, nodes, shelters
from ..domain.errors import Invalid
from . import current_actor, hq_tool, login_required, roles_required

bp = Blueprint("nodes", __name__)

hq_tool("nodes.hq", "避難所端末", "Shelter nodes")


@bp.app_context_processor
def node_sync_state():
    """On a paired node every screen can show the link to HQ (the dashboard does, with the sync button)."""
    from flask import g

    if "node_sync" not in g:
        g.node_sync = nodes.state(get_db())
    return {"node_sync": g.node_sync}


@bp.route("/hq/nodes", methods=["GET"])
@roles_required("hq")
def hq():
    """Every node: its shelters, last contact, events still owed, clock offset, version; pairing; files;
    possible duplicates; conflicts."""
    db = get_db()
    return render_template("nodes/hq.html", nodes=nodes.overview(db), shelters=shelters.list_all(db),
                           pairs=duplicates.listing(db), conflicts=sync.conflicts(db), vocab=duplicates,
                           code=request.args.get("code"), imported=request.args.get("imported"))


@bp.route("/hq/nodes/pair", methods=["POST"])
@roles_required("hq")
def pair():
    """Issue a one-time pairing code for a node serving the chosen shelters (shown once)."""
    code = nodes.issue_code(get_db(), request.form.getlist("shelter"), actor=current_actor())
    return render_template("nodes/code.html", code=code, hours=nodes.CODE_HOURS)


@bp.route("/hq/nodes/<node_id>/revoke", methods=["POST"])
@roles_required("hq")
def revoke(node_id):
    nodes.revoke(get_db(), node_id, actor=current_actor())
    return redirect(url_for("nodes.hq"))


@bp.route("/hq/nodes/import", methods=["POST"])
@roles_required("hq")
def import_file():
    """A sync file a volunteer brought from a node on a USB stick."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("同期ファイルを選んでください。", "Choose a sync file.")
    counts = sync.import_file(get_db(), upload.read())
    return redirect(url_for("nodes.hq", imported=f"{counts['applied']}/{counts['known']}"))


@bp.route("/hq/nodes/<node_id>/export")
@roles_required("hq")
def export_for_node(node_id):
    """HQ's file for a node with no link: announcements, settings, decisions for its shelters."""
    blob, _count = sync.export_for_node(get_db(), node_id)
    return Response(blob, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename=hq-for-{node_id[:8]}.sync"})


@bp.route("/hq/duplicates/<pair_id>", methods=["POST"])
@roles_required("hq")
def decide(pair_id):
    duplicates.decide(get_db(), pair_id, request.form.get("decision", ""), actor=current_actor())
    return redirect(url_for("nodes.hq") + "#duplicates")


@bp.route("/node/")
@login_required
def node():
    """On a node: the link to HQ in words, the last sync, what is still to send."""
    return _node_page(result=request.args.get("result"))


def _node_page(result=None):
    db = get_db()
    progress = sync_client.progress_of(current_app.config["DB"])
    if result is None and progress is not None and not progress.running:
        result = progress.result  # what the last sync said (the button's, or the background's)
    return render_template("nodes/node.html", state=nodes.state(db), owed=sync_client.owed(db),
                           conflicts=sync.conflicts(db), result=result, progress=progress)


SYNC_WAIT_SECONDS = 5  # the button waits this long for the sync to end before showing its progress instead


@bp.route("/node/sync", methods=["POST"])
@login_required
def sync_now():
    """The button: push and pull now, and say what was sent and received. A large backlog goes on in the
    background while the page shows a bar (it reloads itself until the sync has finished)."""
    if nodes.state(get_db()) is None:
        raise Invalid("この端末は本部と登録されていません。", "This install is not a paired node.")
    progress = sync_client.sync_in_background(current_app.config["DB"], wait=SYNC_WAIT_SECONDS)
    if progress.running:
        return redirect(url_for("nodes.node"))
    return _node_page(result=progress.result)


@bp.route("/node/export")
@login_required
def export():
    """A sealed file of everything HQ has not acknowledged, to carry on a USB stick."""
    db = get_db()
    if nodes.state(db) is None:
        raise Invalid("この端末は本部と登録されていません。", "This install is not a paired node.")
    blob, _count = sync_client.export_file(db)
    name = current_app.config.get("NODE_FILE_NAME") or "node-to-hq.sync"
    return Response(blob, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/node/import", methods=["POST"])
@login_required
def import_from_hq():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("同期ファイルを選んでください。", "Choose a sync file.")
    counts = sync.import_file(get_db(), upload.read())
    return redirect(url_for("nodes.node", result=f"{counts['applied']}"))
