"""Closing a shelter: consolidation into another shelter, the handover export to HQ, and the purge."""
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import closing, households, privacy, reports, shelters
from . import current_actor, hq_tool, roles_required, shelter_for, shelter_tool

bp = Blueprint("closing", __name__)

shelter_tool("closing.shelter_closing", "閉鎖・統合・引き渡し", "Closing and handover", roles=("hq", "lead"), position=99)
hq_tool("closing.hq_closing", "閉鎖・引き渡し", "Closing")


def roster_pdf(shelter, zones):
    """The handover roster as PDF, drawn by offline_print (lead's edition: sensitive columns included)."""
    from offline_print import roster

    return roster.render(shelter_name=shelter["name"], shelter_name_en=shelter["name_en"] or "", zones=zones,
                         sensitive=True, font_path=current_app.config.get("FONT_PATH") or None)


@bp.route("/shelters/<ref>/closing")
@roles_required("hq", "lead")
def shelter_closing(ref):
    """Steps to close: move everyone, close, final report, hand over, purge — with what is done and what is next."""
    shelter = shelter_for(ref)
    db = get_db()
    targets = [s for s in shelters.list_all(db, state="open") if s["id"] != shelter["id"]]
    return render_template("closing/shelter.html", shelter=shelter, info=closing.status(db, shelter["id"]),
                           targets=targets, exports=closing.exports(db, shelter["id"]),
                           summaries=privacy.summaries(db, shelter["id"]), done=request.args.get("done"),
                           retention_days=current_app.config["RETENTION_DAYS"], svocab=shelters, rvocab=reports)


@bp.route("/shelters/<ref>/closing/consolidate", methods=["POST"])
@roles_required("hq", "lead")
def consolidate(ref):
    """Move every resident to the chosen open shelter in one confirmed action."""
    shelter = shelter_for(ref)
    target = shelters.get(get_db(), request.form.get("to", ""))
    result = closing.consolidate(get_db(), shelter["id"], target["id"], actor=current_actor(),
                                 confirmed=request.form.get("confirm") == "yes")
    return redirect(url_for("closing.shelter_closing", ref=ref, done="consolidated",
                            moved=result["persons"] + result["heads"]))


@bp.route("/shelters/<ref>/closing/export", methods=["POST"])
@roles_required("hq", "lead")
def export(ref):
    """Download the handover (ZIP: roster CSV/PDF, event log); the export is logged with its reason."""
    shelter = shelter_for(ref)
    result = closing.export(get_db(), shelter["id"], actor=current_actor(),
                            reason=request.form.get("reason", ""), render_pdf=roster_pdf)
    return Response(result["data"], mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"',
                             "Cache-Control": "no-store"})


@bp.route("/shelters/<ref>/closing/purge", methods=["POST"])
@roles_required("hq", "lead")
def purge(ref):
    """Remove the shelter's personal data for good (after the handover only)."""
    shelter = shelter_for(ref)
    if request.form.get("confirm") != "yes":
        from ..domain.errors import Conflict

        raise Conflict("消去するには確認が必要です。", "Removing personal data needs confirmation.")
    privacy.purge(get_db(), shelter["id"], actor=current_actor())
    return redirect(url_for("closing.shelter_closing", ref=ref, done="purged"))


@bp.route("/hq/closing")
@roles_required("hq")
def hq_closing():
    """Shelters on their way out: handed over or not, purged or not, and when the retention purge comes."""
    db = get_db()
    days = current_app.config["RETENTION_DAYS"]
    rows = []
    for shelter in shelters.list_all(db):
        if shelter["state"] not in ("closing", "closed") and not shelter["closed_at"]:
            continue
        info = closing.status(db, shelter["id"])
        purge_at = None
        if shelter["state"] == "closed" and shelter["closed_at"]:
            purge_at = (datetime.fromisoformat(shelter["closed_at"]) + timedelta(days=days)).astimezone(
                timezone.utc).isoformat()
        rows.append({"shelter": shelter, "info": info, "purge_at": purge_at})
    return render_template("closing/hq.html", rows=rows, retention_days=days, svocab=shelters,
                           counts=households.present_counts(db))
