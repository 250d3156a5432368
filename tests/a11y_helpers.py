"""The accessibility tests' harness: an app with a morning's data served on 127.0.0.1, headless Chromium, the
list of every page by role, and axe-core (from node_modules, never from the internet) run on a page."""
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, PASSWORD, TEST_SETTINGS, chromium_path

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (landmarks, one h1, heading order, named
# table headers…)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PREREG_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # bytes 0..31, the tests' key
OPEN = "E1420400003111"  # the demo's 御成小学校: open, the lead's and the staff's shelter
ROLES = ("public", "staff", "lead", "hq")  # nobody signed in, then domain/access.py's roles
TABLET = {"width": 1180, "height": 820}


@dataclass
class Seed:
    """What the pages are about: ids the morning's activity made."""
    standby: str  # a shelter not open: its door says where to go instead
    door_token: str  # a door registration waiting at the desk: its number page
    household_id: str
    report_id: str


def seed(db):
    """The demo's morning (three open shelters, a family, a notice, a supply request), one account per role
    (hq, lead, staff: PASSWORD) and one of everything a page lists: a door registration waiting at the desk,
    a log entry, a resident's request, a ledger line, a report, a safety inquiry, a node's pairing code."""
    from shelter_ops import demo
    from shelter_ops.config import DEFAULTS
    from shelter_ops.domain import (accounts, capacity, daylog, households, inquiries, nodes, reports,
                                    resident_requests, shelters, supplies)
    from shelter_ops.web.door import household_token

    demo.load_if_empty(db)
    shelter = shelters.get(db, OPEN)
    for role in ROLES[1:]:
        accounts.add_user(db, f"{role}1", PASSWORD, role, shelter_id=None if role == "hq" else shelter["id"])
    pending = households.register(db, shelter["id"], {"phone": "090-1111-2222", "staying": "shelter"},
                                  [{"name": "扉 一郎", "kana": "とびら いちろう", "sex": "male", "age": 70}],
                                  actor="door", source="door", status="pending")
    daylog.add_entry(db, shelter["id"], kind="incident", text="体育館の照明が一部消えた。", author="system")
    resident_requests.submit(db, shelter["id"], category="supplies", text="毛布がもう一枚ほしい", room="2-1",
                             name="鎌倉 花子", source="phone")
    supplies.record_move(db, shelter["id"], item="水 500ml", unit="本", direction="in", quantity=240,
                         actor="system")
    report = reports.submit(db, shelter["id"], {}, actor="system", config=DEFAULTS)
    inquiries.ask(db, {"name": "鎌倉 花子", "relation": "household", "inquirer_name": "鎌倉 次郎"},
                  operator="system")
    nodes.issue_code(db, [shelter["id"]], actor="system")
    # every state and every level somewhere, so that each badge's colours are checked
    others = [s for s in shelters.list_all(db) if s["state"] == "standby"]
    shelters.transition(db, others[0]["id"], "opening", actor="system")
    for step in ("open", "closing"):
        shelters.transition(db, others[1]["id"], step, actor="system", confirmed=True)
    for other, level in zip(shelters.list_all(db, state="open"), ("full", "crowded", "some")):
        capacity.set_override(db, other["id"], level, reason="訓練", minutes=60, actor="system")
    standby = others[2]
    return Seed(standby=standby["kyotsu_id"], door_token=household_token(pending["id"]),
                household_id=pending["id"], report_id=report["id"])


@contextmanager
def serving(app):
    """The app served by Werkzeug in a thread on 127.0.0.1 (a free port); yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium():
    """A headless system Chromium (skips, saying why, where there is none)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    path = chromium_path()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def run_axe(page):
    """axe-core's violations of AXE_TAGS on the page as it is now (axe is on every page: the context's init
    script): [{rule, impact, help, nodes: [(selector, html, summary)]}]."""
    return page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return result.violations.map((v) => ({rule: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => [n.target.join(' '), n.html.slice(0, 160), n.failureSummary || ''])}));
    }""", AXE_TAGS)


EVACUEES, SHELTER, LEADS, HQ, ANYONE = ("public",), ("staff", "lead", "hq"), ("lead", "hq"), ("hq",), ROLES


def page_list(made):
    """(name, path, roles) of every page to check, and who it is for: evacuees' pages are read by nobody signed in
    (a signed-in visitor sees the same page); a shelter's pages by its staff, its lead and HQ; HQ's by HQ."""
    shelter = f"/shelters/{OPEN}"
    return [
        ("door", f"/door/{OPEN}", EVACUEES), ("door, shelter not open", f"/door/{made.standby}", EVACUEES),
        ("reception number", f"/door/{OPEN}/done/{made.door_token}", EVACUEES),
        ("pre-registration", "/prereg", EVACUEES), ("public status", "/public/", EVACUEES),
        ("entrance display", f"/public/shelters/{OPEN}/display", EVACUEES),
        ("residents' display", f"/residents/{OPEN}/display", EVACUEES),
        ("residents' requests", f"/residents/{OPEN}/requests", EVACUEES),
        ("sign in", "/login", EVACUEES), ("error", "/no-such-page", ANYONE),
        ("not allowed", "/hq/", ("staff",)),
        ("shelter", shelter, SHELTER), ("desk", f"{shelter}/desk", SHELTER),
        ("desk register", f"{shelter}/desk/register", SHELTER),
        ("desk paper card", f"{shelter}/desk/register?paper=1", SHELTER),
        ("desk count", f"{shelter}/desk/count", SHELTER),
        ("desk registered", f"{shelter}/desk/registered/{made.household_id}", SHELTER),
        ("roster", f"{shelter}/desk/roster", SHELTER), ("IC cards", f"{shelter}/desk/ic", SHELTER), ("dashboard", f"{shelter}/occupancy", SHELTER),
        ("supplies", f"/supplies/{OPEN}", SHELTER), ("daily log", f"/running/{OPEN}/log", SHELTER),
        ("announcements", f"/running/{OPEN}/announcements", SHELTER),
        ("residents' requests inbox", f"/running/{OPEN}/requests", SHELTER),
        ("printing", f"{shelter}/print", SHELTER), ("reports", f"{shelter}/reports", SHELTER),
        ("report", f"/reports/{made.report_id}", SHELTER), ("node", "/node/", SHELTER),
        ("closing", f"{shelter}/closing", LEADS), ("daicho", f"{shelter}/daicho", LEADS),
        ("hq overview", "/hq/", HQ), ("hq import", "/hq/import", HQ), ("hq capacity", "/hq/capacity", HQ),
        ("hq closing", "/hq/closing", HQ), ("hq supply requests", "/supplies/hq", HQ), ("hq print", "/hq/print", HQ),
        ("hq reports", "/hq/reports", HQ), ("hq inquiries", "/hq/inquiries/", HQ),
        ("hq inquiry log", "/hq/inquiries/log", HQ), ("hq interop", "/hq/interop/", HQ), ("hq nodes", "/hq/nodes", HQ),
    ]


# GET routes that are not pages a person reads: files, feeds, images and redirects (the API is not either).
NOT_PAGES = {
    "static": "files", "auth.favicon": "an icon", "health.health": "JSON for monitoring",
    "auth.index": "redirects to the role's start page", "auth.switch_language": "sets the language, redirects back",
    "door.door_qr": "an SVG QR code", "door.household_qr": "an SVG QR code", "door.poster": "redirects to the PDF",
    "public.status_json": "feed", "public.status_csv": "feed", "public.status_geojson": "feed",
    "printing.map_pdf": "PDF", "printing.poster_pdf": "PDF", "printing.floor_pdf": "PDF",
    "printing.roster_pdf": "PDF", "printing.report_pdf": "PDF", "printing.supplies_pdf": "PDF",
    "printing.log_pdf": "PDF", "running.announcement_sheet": "PDF", "reports.hq_reports_csv": "CSV",
    "interop.lalert_again": "Lアラート XML or CSV", "nodes.export_for_node": "a sync file",
    "nodes.export": "a sync file",
}


def sign_in(page, url, role):
    """Sign in as the role's account (the public: nobody)."""
    if role == "public":
        return
    page.goto(url + "/login")
    page.fill("input[name=name]", f"{role}1")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button.primary")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")[:300]


def _submit(page, selector="form button.primary"):
    with page.expect_navigation():
        page.click(selector)


def states(role):
    """(name, path, steps) of the pages only a POST shows: the door's refusal, the sealed pre-registration, a
    request sent, the numbers of blank cards, shelters opened at once, a pairing code, an inquiry's answer."""
    if role == "public":
        def refused(page):
            page.fill("input[name=p0_name]", "鎌倉 一郎")
            page.fill("input[name=p0_age]", "300")
            _submit(page, "form.household-form button.primary")

        def sealed(page):
            page.fill("input[name=p0_name]", "鎌倉 一郎")
            _submit(page, "form.household-form button.primary")

        def request_sent(page):
            page.check("input[name=category][value=food]")
            page.fill("textarea[name=text]", "アレルギー対応の食事")
            _submit(page, "form.resident-form button.primary")

        return [("door refused", f"/door/{OPEN}", refused), ("pre-registration sealed", "/prereg", sealed),
                ("residents' request sent", f"/residents/{OPEN}/requests", request_sent)]
    if role == "lead":
        def cards(page):
            _submit(page, "form.inline-form button")

        return [("blank cards reserved", f"/shelters/{OPEN}/desk/roster", cards)]
    if role == "hq":
        def opened(page):
            page.locator("input[name=shelter]:not([disabled])").first.check()
            _submit(page, "#open-many button.primary")

        def paired(page):
            page.select_option("#pair-shelters", index=0)
            _submit(page, "form[action$='/hq/nodes/pair'] button")

        def answered(page):
            page.fill("input[name=name]", "鎌倉 花子")
            page.fill("input[name=inquirer_name]", "鎌倉 次郎")
            page.select_option("select[name=relation]", "household")
            _submit(page, "form.inquiry-form button.primary")

        return [("hq opened", "/hq/", opened), ("hq pairing code", "/hq/nodes", paired),
                ("hq inquiry answered", "/hq/inquiries/", answered)]
    return []
