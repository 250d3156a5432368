"""Public pages for phones: no login, never any personal data. (The live-occupancy work fills this.)"""
from flask import Blueprint, render_template

from ..db import get_db
from ..domain import shelters

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.route("/")
def index():
    """Which shelters are open."""
    rows = [s for s in shelters.list_all(get_db(), include_hidden=False)]
    return render_template("public/index.html", shelters=rows, vocab=shelters)
