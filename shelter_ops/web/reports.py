"""Reports to HQ: the shelter's report form (第N報) and HQ's history, occupancy chart and CSV."""

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from ..db import get_db, parse_time
from ..domain import clock, reports, shelters
from . import current_actor, hq_tool, login_required, roles_required, shelter_for, shelter_tool

bp = Blueprint("reports", __name__)

shelter_tool("reports.shelter_reports", "本部への報告", "Reports to HQ")
hq_tool("reports.hq_reports", "報告・推移", "Reports")


def _interval():
    return current_app.config["REPORT_INTERVAL_HOURS"]


@bp.route("/shelters/<ref>/reports", methods=["GET", "POST"])
@login_required
def shelter_reports(ref):
    """The next report, pre-filled: figures from the roster, the rest as the staff last entered it."""
    shelter = shelter_for(ref)
    db = get_db()
    filed = None
    if request.method == "POST":
        filed = reports.submit(db, shelter["id"], request.form, actor=current_actor(),
                               kind=request.form.get("kind") or None, config=current_app.config,
                               checklist_items=shelters.checklist_items(current_app.config["CHECKLIST"]))
        return redirect(url_for("reports.shelter_reports", ref=ref, filed=filed["no"]))
    return render_template(
        "reports/shelter.html", shelter=shelter, draft=reports.draft(db, shelter["id"], config=current_app.config),
        due=reports.due(db, shelter, interval_hours=_interval()), history=reports.history(db, shelter_id=shelter["id"]),
        filed=request.args.get("filed"), vocab=reports, svocab=shelters,
    )


@bp.route("/reports/<report_id>")
@login_required
def report(report_id):
    """One filed report with every attribute."""
    item = reports.get(get_db(), report_id)
    shelter = shelter_for(item["shelter_id"])
    return render_template("reports/report.html", report=item, shelter=shelter, vocab=reports, svocab=shelters)


@bp.route("/hq/reports")
@roles_required("hq")
def hq_reports():
    """Every report as a table, shelters whose report is due, and occupancy over time."""
    db = get_db()
    return render_template("reports/hq.html", history=reports.history(db, limit=500),
                           overdue=reports.overdue(db, interval_hours=_interval()),
                           chart=occupancy_chart(reports.occupancy_series(db)), vocab=reports, svocab=shelters)


@bp.route("/hq/reports.csv")
@roles_required("hq")
def hq_reports_csv():
    """All reports as CSV (UTF-8 with BOM: Excel opens it as it is)."""
    db = get_db()
    shelter_id = None
    if request.args.get("shelter"):
        shelter_id = shelters.get(db, request.args["shelter"])["id"]
    stamp = clock.utcnow().strftime("%Y%m%d-%H%M")
    return Response(reports.to_csv(reports.history(db, shelter_id=shelter_id)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="reports-{stamp}.csv"'})


# --- the occupancy chart, drawn here as SVG: no JavaScript, no library, works printed ---

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e")


def _nice_max(value):
    if value <= 10:
        return 10
    for step in (1, 2, 2.5, 5):
        for power in range(1, 8):
            top = step * 10 ** power
            if top >= value:
                return int(top)
    return int(value)


def occupancy_chart(series, *, width=880, height=320, max_lines=len(PALETTE)):
    """Occupancy over time: one step line per shelter (the busiest first) and a thick line for the total."""
    total = series["total"]
    if not total:
        return None
    left, right, top, bottom = 56, 200, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    times = [parse_time(at) for at, _ in total]
    t0, t1 = times[0], times[-1]
    span = max((t1 - t0).total_seconds(), 3600)
    y_max = _nice_max(max(n for _, n in total) or 1)

    def x(at):
        return left + plot_w * (parse_time(at) - t0).total_seconds() / span

    def y(n):
        return top + plot_h * (1 - n / y_max)

    def steps(points):
        path = []
        for i, (at, n) in enumerate(points):
            if i:
                path.append(f"{x(at):.1f},{y(points[i - 1][1]):.1f}")
            path.append(f"{x(at):.1f},{y(n):.1f}")
        return " ".join(path)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="occupancy-chart" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="chart-title"><title id="chart-title">{escape(_label_title())}</title>']
    for i in range(5):
        n = y_max * i / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y(n):.1f}" y2="{y(n):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y(n) + 4:.1f}" text-anchor="end">{int(n)}</text>')
    for at in (total[0][0], total[len(total) // 2][0], total[-1][0]):
        parts.append(f'<text class="tick" x="{x(at):.1f}" y="{height - bottom + 18}" text-anchor="middle">'
                     f'{escape(parse_time(at).astimezone(clock.JST).strftime("%m-%d %H:%M"))}</text>')
    busiest = sorted(series["shelters"].items(), key=lambda kv: -max(n for _, n in kv[1]["points"]))[:max_lines]
    legend_y = top + 8
    for i, (_sid, item) in enumerate(busiest):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<polyline class="shelter-line" fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{steps(item["points"])}"><title>{escape(item["name"])}</title></polyline>')
        parts.append(f'<rect x="{width - right + 12}" y="{legend_y - 8}" width="12" height="12" fill="{colour}"/>'
                     f'<text class="legend" x="{width - right + 30}" y="{legend_y + 2}">{escape(item["name"][:14])}</text>')
        legend_y += 20
    parts.append(f'<polyline class="total-line" fill="none" stroke="#111" stroke-width="4" points="{steps(total)}">'
                 f'<title>{escape(_label_total())}</title></polyline>')
    parts.append(f'<rect x="{width - right + 12}" y="{legend_y - 8}" width="12" height="12" fill="#111"/>'
                 f'<text class="legend" x="{width - right + 30}" y="{legend_y + 2}">{escape(_label_total())}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}"/>'
                 f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _label_title():
    from flask_babel import gettext as _

    return _("Evacuees over time, per shelter and in total (from the reports)")


def _label_total():
    from flask_babel import gettext as _

    return _("Total")

