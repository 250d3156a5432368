"""The shelter's occupancy dashboard: zones as bars, the last hour's flow, "still correct", a lead's override."""
from datetime import timedelta

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import access, capacity, clock, households, shelters
from . import current_actor, hq_tool, login_required, roles_required, shelter_for, shelter_tool

bp = Blueprint("dashboard", __name__)

OVERRIDE_MINUTES = (30, 60, 180, 720)
FLOW_MINUTES = 60


@bp.route("/shelters/<ref>/occupancy")
@login_required
def shelter(ref):
    """How full the shelter is, zone by zone, and how fresh the count is."""
    shelter = shelter_for(ref)
    db = get_db()
    snap = capacity.snapshot(db, current_app.config, shelter["id"])
    return render_template("dashboard/shelter.html", shelter=shelter, s=snap, vocab=shelters,
                           flow=last_hour(db, shelter["id"]), levels=capacity.LEVELS,
                           undecided_zone=capacity.UNDECIDED_ZONE,
                           override_levels=capacity.OVERRIDE_LEVELS, override_minutes=OVERRIDE_MINUTES,
                           can_override=access.allowed(current_actor(), "set_override", shelter),
                           stale_minutes=current_app.config["STALE_MINUTES"], done=request.args.get("done"))


def last_hour(db, shelter_id):
    """People who arrived and left in the last hour (the movements projection, as the report and the log)."""
    since = (clock.utcnow() - timedelta(minutes=FLOW_MINUTES)).replace(microsecond=0).isoformat()
    return households.movements.between(db, shelter_id, since)


@bp.route("/shelters/<ref>/occupancy/confirm", methods=["POST"])
@login_required
def confirm(ref):
    """One tap: the count shown is still correct."""
    shelter = shelter_for(ref)
    capacity.confirm(get_db(), shelter["id"], actor=current_actor())
    return redirect(url_for("dashboard.shelter", ref=ref, done="confirmed"))


@bp.route("/shelters/<ref>/occupancy/override", methods=["POST"])
@login_required
def override(ref):
    """A lead or HQ sets the level by hand for a while, with a reason; or ends it."""
    shelter = shelter_for(ref)
    if request.form.get("clear"):
        capacity.clear_override(get_db(), shelter["id"], actor=current_actor())
        done = "cleared"
    else:
        capacity.set_override(get_db(), shelter["id"], request.form.get("level", ""),
                              reason=request.form.get("reason", ""), minutes=request.form.get("minutes", ""),
                              actor=current_actor())
        done = "override"
    return redirect(url_for("dashboard.shelter", ref=ref, done=done))


@bp.route("/hq/capacity", methods=["GET", "POST"])
@roles_required("hq")
def capacity_settings():
    """HQ sets the m² per person for this event; every capacity and level follows at once."""
    db = get_db()
    if request.method == "POST":
        choice = request.form.get("m2", "")
        value = request.form.get("custom", "") if choice == "custom" else choice
        capacity.set_m2_per_person(db, value, actor=current_actor())
        return redirect(url_for("dashboard.capacity_settings", done=1))
    current = capacity.m2_per_person(db, current_app.config["M2_PER_PERSON"])
    snaps = capacity.snapshots(db, current_app.config)
    return render_template("dashboard/capacity_settings.html", current=current, choices=capacity.M2_CHOICES,
                           default=current_app.config["M2_PER_PERSON"], totals=capacity.totals(snaps),
                           done=request.args.get("done"))


shelter_tool("dashboard.shelter", "混雑状況", "Occupancy", position=2)
hq_tool("dashboard.capacity_settings", "1人あたり面積", "Area per person")
