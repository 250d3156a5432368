"""Safety inquiries (安否確認) at HQ: the operator's form, the answer to read out, and the inquiry log."""
from flask import Blueprint, render_template, request

from ..db import get_db
from ..domain import inquiries
from . import current_actor, hq_tool, roles_required

bp = Blueprint("inquiries", __name__, url_prefix="/hq/inquiries")

hq_tool("inquiries.ask", "安否確認", "Safety inquiries")


@bp.route("/", methods=["GET", "POST"])
@roles_required("hq")
def ask():
    """Take an inquiry: who asks, how related, for whom; show only what may be told."""
    result = None
    if request.method == "POST":
        result = inquiries.ask(get_db(), request.form.to_dict(), operator=current_actor())
    return render_template("inquiries/ask.html", result=result, vocab=inquiries)


@bp.route("/log")
@roles_required("hq")
def log():
    """Every inquiry: when, operator, inquirer, relation, the name asked for, and what was told."""
    return render_template("inquiries/log.html", entries=inquiries.log(get_db()), vocab=inquiries)
