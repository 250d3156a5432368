"""The disaster HQ's screens: every shelter at a glance, opening many at once, importing open data."""
from flask import Blueprint, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import households, shelters
from ..domain.errors import Invalid
from . import current_actor, roles_required

bp = Blueprint("hq", __name__, url_prefix="/hq")

MAX_UPLOAD = 64 * 1024 * 1024


@bp.route("/")
@roles_required("hq")
def overview():
    """All shelters with state, occupancy and level; totals; alerts at the alert share with the nearest
    open shelters with space; filter by state, level or name."""
    from flask import current_app

    from ..domain import capacity

    db = get_db()
    state = request.args.get("state") or None
    level = request.args.get("level") or None
    query = (request.args.get("q") or "").strip()
    rows = shelters.list_all(db, state=state)
    if query:
        rows = [s for s in rows if query in (s["name"] or "") or query.lower() in (s["name_en"] or "").lower()
                or query in (s["address"] or "") or query in (s["kyotsu_id"] or "")]
    counts = households.present_counts(db)
    snaps = capacity.snapshots(db, current_app.config, counts=counts)
    by_id = {s["id"]: s for s in snaps}
    if level == "stale":
        rows = [s for s in rows if by_id[s["id"]]["stale"]]
    elif level:
        rows = [s for s in rows if by_id[s["id"]]["level"] == level]
    by_state = {key: 0 for key in shelters.STATES}
    for s in shelters.list_all(db):
        by_state[s["state"]] += 1
    alerts = capacity.alerts(snaps, current_app.config)
    return render_template("hq/overview.html", shelters=rows, counts=counts, by_state=by_state,
                           state=state, level=level, query=query, vocab=shelters, results=None,
                           occupancy=by_id, totals=capacity.totals(snaps), alerts=alerts,
                           alert_ids={a["shelter"]["id"] for a in alerts}, levels=capacity.LEVELS,
                           stale_minutes=current_app.config["STALE_MINUTES"],
                           alert_percent=round(capacity.alert_share(current_app.config) * 100))


@bp.route("/open", methods=["POST"])
@roles_required("hq")
def open_many():
    """Open every ticked shelter at once; each refusal is listed with its reason."""
    ids = request.form.getlist("shelter")
    if not ids:
        raise Invalid("開設する避難所を選んでください。", "Choose the shelters to open.")
    results = shelters.open_many(get_db(), ids, actor=current_actor(), reason=request.form.get("reason", ""))
    db = get_db()
    names = {s["id"]: s for s in shelters.list_all(db, ids=list(results))}
    return render_template("hq/opened.html", results=results, names=names)


@bp.route("/shelters/<ref>/visibility", methods=["POST"])
@roles_required("hq")
def visibility(ref):
    """Hide a shelter from every public output, or show it again."""
    shelter = shelters.get(get_db(), ref)
    shelters.set_hidden(get_db(), shelter["id"], request.form.get("hidden") == "1", actor=current_actor())
    return redirect(url_for("hq.overview"))


@bp.route("/import", methods=["GET", "POST"])
@roles_required("hq")
def import_page():
    """Upload GSI or Digital Agency files; the report names every problem by line and column."""
    reports = []
    if request.method == "POST":
        from ..importers import import_data

        files = [f for f in request.files.getlist("file") if f and f.filename]
        if not files:
            raise Invalid("ファイルを選んでください。", "Choose a file.")
        for upload in files:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise Invalid(f"ファイルが大きすぎます（上限 {MAX_UPLOAD // 2**20} MB）: {upload.filename}",
                              f"The file is too large (limit {MAX_UPLOAD // 2**20} MB): {upload.filename}")
            reports.append(import_data(get_db(), data, upload.filename, actor=current_actor()))
    status = 400 if any(not r.ok for r in reports) else 200
    return render_template("hq/import.html", reports=reports, limit_mb=MAX_UPLOAD // 2**20), status
