"""The disaster HQ's screens: every shelter at a glance, opening many at once, importing open data."""
import math

from flask import Blueprint, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import households, shelters
from ..domain.errors import Invalid
from ..i18n import lang
from . import current_actor, roles_required

bp = Blueprint("hq", __name__, url_prefix="/hq")

MAX_UPLOAD = 64 * 1024 * 1024


@bp.route("/")
@roles_required("hq")
def overview():
    """Every shelter at a glance, for a prefecture: a live map of all of them (the public page's
    offline SVG), totals, alerts with the nearest open shelters with space, and a paged table;
    filter by municipality, state, level (or 確認中) and name."""
    from flask import current_app

    from ..domain import capacity
    from .public import map_points

    db = get_db()
    picked = {key: request.args.get(key) or None for key in FILTERS}
    query = (request.args.get("q") or "").strip()
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    everything = shelters.list_all(db)
    counts = households.present_counts(db)
    snaps = capacity.snapshots(db, current_app.config, counts=counts)
    by_id = {s["id"]: s for s in snaps}
    rows = filter_shelters(everything, by_id, query=query, **picked)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    by_state = {key: 0 for key in shelters.STATES}
    for s in everything:
        by_state[s["state"]] += 1
    alerts = capacity.alerts(snaps, current_app.config)

    def link(**changes):
        """This overview with some filters changed (None removes one); the page starts again at 1."""
        args = {**picked, "q": query or None, **changes}
        return url_for("hq.overview", **{k: v for k, v in args.items() if v})

    return render_template("hq/overview.html", shelters=shown, counts=counts, by_state=by_state,
                           state=picked["state"], level=picked["level"], municipality=picked["municipality"],
                           municipalities=shelters.municipalities(db), query=query, vocab=shelters,
                           results=None, occupancy=by_id, totals=capacity.totals(snaps), alerts=alerts,
                           alert_ids={a["shelter"]["id"] for a in alerts}, levels=capacity.LEVELS,
                           map=map_points([by_id[s["id"]] for s in rows], width=720, height=520, pad=12,
                                          lang=lang()),
                           matched=len(rows), page=page, pages=pages, first=(page - 1) * PAGE_SIZE + 1,
                           link=link, stale_minutes=current_app.config["STALE_MINUTES"],
                           alert_percent=round(capacity.alert_share(current_app.config) * 100))


PAGE_SIZE = 100  # table rows per page: a prefecture's 1,500 shelters paint at once, the map shows them all
FILTERS = ("state", "level", "municipality")


def filter_shelters(rows, snaps_by_id, *, state=None, level=None, municipality=None, query=""):
    """The shelters HQ asked for: by state, level (or "stale" for 確認中), municipality code, and a
    name, address or 共通ID containing `query`."""
    if state:
        rows = [s for s in rows if s["state"] == state]
    if municipality:
        rows = [s for s in rows if (s["municipality_code"] or "") == municipality]
    if level == "stale":
        rows = [s for s in rows if snaps_by_id[s["id"]]["stale"]]
    elif level:
        rows = [s for s in rows if snaps_by_id[s["id"]]["level"] == level]
    if query:
        folded = query.lower()
        rows = [s for s in rows if query in (s["name"] or "") or folded in (s["name_en"] or "").lower()
                or query in (s["address"] or "") or query in (s["kyotsu_id"] or "")]
    return rows


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
