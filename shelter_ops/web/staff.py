"""The shelter's tablet screens: state and lifecycle, opening checklist, zones."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import access, shelters
from . import current_actor, login_required, shelter_for

bp = Blueprint("staff", __name__, url_prefix="/shelters")


def _items():
    return shelters.checklist_items(current_app.config["CHECKLIST"])


def _back(shelter, anchor=""):
    return redirect(url_for("staff.shelter", ref=shelters.ref(shelter)) + anchor)


@bp.route("/<ref>")
@login_required
def shelter(ref):
    """My shelter: state, what can happen next, checklist, zones."""
    shelter = shelter_for(ref)
    db = get_db()
    return render_template(
        "staff/shelter.html",
        shelter=shelter,
        next_states=shelters.TRANSITIONS[shelter["state"]],
        checklist=shelters.checklist(db, shelter["id"], _items()),
        zones=shelters.zones(db, shelter["id"]),
        present=shelters.present_count(db, shelter["id"]),
        vocab=shelters,
        can_edit_zones=access.allowed(current_actor(), "edit_zones", shelter),
        message=request.args.get("done"),
    )


@bp.route("/<ref>/transition", methods=["POST"])
@login_required
def transition(ref):
    """Move the shelter to another state; refusals come back as 409 with the reason."""
    shelter = shelter_for(ref)
    shelters.transition(get_db(), shelter["id"], request.form.get("to", ""), actor=current_actor(),
                        reason=request.form.get("reason", ""), confirmed=request.form.get("confirm") == "yes")
    return redirect(url_for("staff.shelter", ref=ref, done="state"))


@bp.route("/<ref>/checklist/<item>", methods=["POST"])
@login_required
def mark(ref, item):
    """Tick (or untick) an opening checklist item; who and when are recorded."""
    shelter = shelter_for(ref)
    actor = current_actor()
    if request.form.get("undo"):
        shelters.unmark_item(get_db(), shelter["id"], item, actor=actor)
    else:
        shelters.mark_item(get_db(), shelter["id"], item, items=_items(), actor=actor,
                           result=request.form.get("result"))
    return _back(shelter, "#checklist")


@bp.route("/<ref>/zones", methods=["POST"])
@login_required
def add_zone(ref):
    """A lead or HQ adds a room; capacities and levels follow at once."""
    shelter = shelter_for(ref)
    shelters.add_zone(get_db(), shelter["id"], request.form, actor=current_actor())
    return _back(shelter, "#zones")


@bp.route("/<ref>/zones/<zone_id>", methods=["POST"])
@login_required
def edit_zone(ref, zone_id):
    shelter = shelter_for(ref)
    shelters.update_zone(get_db(), shelter["id"], zone_id, request.form, actor=current_actor())
    return _back(shelter, "#zones")
