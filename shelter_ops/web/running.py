"""Tablet screens for running the days: the daily log (運営日誌), announcements, residents' requests inbox."""
from flask import Blueprint, Response, redirect, render_template, request, url_for

from ..db import get_db
from ..domain import clock, daylog, notices, resident_requests, shelters, supplies
from ..domain.errors import Invalid, NotFound
from ..languages import LANGUAGES
from . import current_actor, login_required, shelter_for, shelter_tool

bp = Blueprint("running", __name__, url_prefix="/running")

shelter_tool("running.log", "運営日誌", "Daily log")
shelter_tool("running.announcements", "お知らせ", "Announcements")
shelter_tool("running.inbox", "要望", "Residents' requests")


def _day():
    value = request.args.get("day")
    return clock.parse_day(value) if value else clock.today()


@bp.route("/<ref>/log")
@login_required
def log(ref):
    """One day of the daily log: head counts, entries by kind, supplies in and out; add an entry."""
    shelter = shelter_for(ref)
    db = get_db()
    day = _day()
    return render_template("running/log.html", shelter=shelter, ref=shelters.ref(shelter),
                           view=daylog.day_view(db, shelter["id"], day), days=daylog.days(db, shelter["id"]),
                           today=clock.today(), vocab=daylog, directions=supplies.DIRECTIONS, done=request.args.get("done"))


@bp.route("/<ref>/log", methods=["POST"])
@login_required
def add_entry(ref):
    shelter = shelter_for(ref)
    form = request.form
    entry = daylog.add_entry(get_db(), shelter["id"], kind=form.get("kind", ""), text=form.get("text", ""),
                             author=current_actor(), day=form.get("day") or None,
                             period=form.get("period") or None, count=form.get("count"))
    return redirect(url_for("running.log", ref=ref, day=entry["day"], done="entry"))


@bp.route("/<ref>/announcements")
@login_required
def announcements(ref):
    """The announcements editor: pick a ready-made notice (shown in every resident's language) and
    fill its blanks, or write in ja and en; choose start and end; take one down."""
    shelter = shelter_for(ref)
    chosen = notices.get(request.args["notice"]) if request.args.get("notice") else None
    return render_template("running/announcements.html", shelter=shelter, ref=shelters.ref(shelter),
                           items=daylog.announcements(get_db(), shelter["id"]),
                           done=request.args.get("done"), topics=notices.topics(), chosen=chosen,
                           notice_title=notices.title, preview=notices.preview, languages=LANGUAGES)


@bp.route("/<ref>/announcements", methods=["POST"])
@login_required
def add_announcement(ref):
    shelter = shelter_for(ref)
    form = request.form
    notice = form.get("notice") or None
    values = {k[len("blank_"):]: v for k, v in form.items() if k.startswith("blank_")}
    daylog.add_announcement(get_db(), shelter["id"], ja=form.get("ja", ""), en=form.get("en", ""),
                            notice=notice, values=values,
                            starts_at=form.get("starts_at") or None, ends_at=form.get("ends_at") or None,
                            actor=current_actor())
    return redirect(url_for("running.announcements", ref=ref, done="added"))


@bp.route("/<ref>/announcements/<announcement_id>/sheet.pdf")
@login_required
def announcement_sheet(ref, announcement_id):
    """A published ready-made notice as a printed sheet in every evacuee language at once."""
    import json

    from offline_print import notice as notice_sheet

    shelter = shelter_for(ref)
    item = next((a for a in daylog.announcements(get_db(), shelter["id"]) if a["id"] == announcement_id), None)
    if item is None or not item.get("notice"):
        raise NotFound("文例のお知らせが見つかりません。", "No such ready-made notice.")
    values = json.loads(item["notice_values"] or "{}")
    sheet = notice_sheet.render(
        shelter_name=shelter["name"], printed_at=clock.utc_to_local(daylog.now()),
        texts=[(language.code, language.endonym, str(notices.render(item["notice"], values, language.code)))
               for language in LANGUAGES])
    return Response(sheet.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="notice-{item["notice"]}.pdf"',
                             "X-Languages-Missing": " ".join(sheet.missing)})


@bp.route("/<ref>/announcements/<announcement_id>/withdraw", methods=["POST"])
@login_required
def withdraw_announcement(ref, announcement_id):
    shelter = shelter_for(ref)
    daylog.withdraw_announcement(get_db(), shelter["id"], announcement_id, actor=current_actor())
    return redirect(url_for("running.announcements", ref=ref, done="withdrawn"))


@bp.route("/<ref>/requests")
@login_required
def inbox(ref):
    """Residents' requests, open ones first; key one in from paper; mark handled with a note."""
    shelter = shelter_for(ref)
    db = get_db()
    status = request.args.get("status") or None
    if status and status not in resident_requests.STATUSES:
        raise Invalid("不明な状態です。", "Unknown status.")
    return render_template("running/inbox.html", shelter=shelter, ref=shelters.ref(shelter),
                           items=resident_requests.inbox(db, shelter["id"], status),
                           counts=resident_requests.counts(db, shelter["id"]), status=status,
                           vocab=resident_requests, done=request.args.get("done"))


@bp.route("/<ref>/requests", methods=["POST"])
@login_required
def add_paper_request(ref):
    """A request written on paper, keyed in by staff (no rate limit)."""
    shelter = shelter_for(ref)
    form = request.form
    resident_requests.submit(get_db(), shelter["id"], category=form.get("category", ""), text=form.get("text", ""),
                             name=form.get("name", ""), room=form.get("room", ""),
                             anonymous=form.get("anonymous") == "yes" or not form.get("name", "").strip(),
                             source="paper", actor=current_actor())
    return redirect(url_for("running.inbox", ref=ref, done="added"))


@bp.route("/<ref>/requests/<request_id>/handled", methods=["POST"])
@login_required
def mark_handled(ref, request_id):
    shelter = shelter_for(ref)
    resident_requests.mark_handled(get_db(), shelter["id"], request_id, note=request.form.get("note", ""),
                                   actor=current_actor())
    return redirect(url_for("running.inbox", ref=ref, done="handled"))
