"""Accessibility of every page, in headless Chromium against one server on 127.0.0.1 (docs/accessibility.md).

Every page of the app (from its route map) is opened by each role that may see it (nobody signed in, staff,
lead, HQ: domain/access.py), in Japanese and in English, and:
- axe-core (node_modules/axe-core, injected by the test: nothing comes from the internet) finds no
  violation of WCAG 2.0/2.1/2.2 A and AA, nor of axe's best practices;
- at 200 % zoom on a 390 px phone (195 CSS px wide) the page does not scroll sideways.
A GET route that is neither a checked page nor listed as not a page (files, feeds, redirects) fails the
test, and so does a template that no checked page renders. Congestion levels show a word and a shape.
"""
import re
from pathlib import Path

import pytest
from flask import template_rendered

from a11y_helpers import (AXE, NOT_PAGES, OPEN, PREREG_KEY, ROLES, TABLET, chromium, page_list, run_axe, seed,
                          serving, sign_in, states)
from conftest import TEST_SETTINGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
LANGS = ("ja", "en")
ZOOMED = {"width": 195, "height": 422}  # a 390 × 844 phone at 200 % zoom
PARTIALS = re.compile(r"(^|/)_|^base\.html$")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app on a morning after the earthquake, served on 127.0.0.1; records the templates it renders."""
    from shelter_ops import create_app
    from shelter_ops.db import connect

    if not AXE.is_file():
        pytest.skip(f"{AXE.relative_to(ROOT)} is missing: run make setup (npm install)")
    folder = tmp_path_factory.mktemp("a11y")
    app = create_app({"DB": str(folder / "a11y.sqlite"), **TEST_SETTINGS, "TESTING": True,
                      "PREREG_KEY": PREREG_KEY,
                      "DOOR_REGISTRATIONS_PER_10_MIN": 100, "DOOR_REGISTRATIONS_PER_ADDRESS_10_MIN": 100})
    db = connect(app.config["DB"])
    with app.test_request_context():
        made = seed(db)
    db.close()
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600  # the browser keeps the CSS and scripts: fewer requests
    rendered = set()

    def record(_sender, template, context, **_extra):
        rendered.add(template.name)

    template_rendered.connect(record, app)
    with serving(app) as url:
        yield app, url, made, rendered
    template_rendered.disconnect(record, app)
    from shelter_ops.security import limiter

    limiter.reset()  # the door's rate limit lives in the process: forget this module's registrations


# Two Chromiums side by side (each in its own thread, with its own Playwright), about as busy as each other
SHIFTS = (("hq", "public"), ("staff", "lead"))


@pytest.fixture(scope="module")
def sweep(site):
    """Every page for every role and language: axe's violations, sideways scrolling at 200 %, what was seen."""
    from concurrent.futures import ThreadPoolExecutor

    app, url, made, rendered = site
    axe_source = AXE.read_text(encoding="utf-8")
    seen = {"violations": {}, "wide": {}, "checked": set(), "refused": [], "outside": []}
    with ThreadPoolExecutor(max_workers=len(SHIFTS)) as pool:
        for done in [pool.submit(visit, roles, url, made, axe_source, seen) for roles in SHIFTS]:
            done.result()
    seen["templates"] = set(rendered)
    return seen


def visit(roles, url, made, axe_source, seen):
    """One Chromium through every page of these roles, in each language."""
    with chromium() as browser:
        for role in roles:
            context = browser.new_context(locale="ja-JP", viewport=TABLET)
            context.add_init_script(axe_source)
            context.on("request", lambda request: request.url.startswith(url) or seen["outside"].append(request.url))
            page = context.new_page()
            page.set_default_timeout(15000)
            sign_in(page, url, role)
            for lang in LANGS:
                page.goto(f"{url}/lang/{lang}")
                problems = seen["violations"].setdefault((role, lang), [])
                wide = seen["wide"].setdefault((role, lang), [])
                for name, path, audience in page_list(made):
                    if role not in audience:
                        continue
                    response = page.goto(url + path)
                    expected = 404 if name == "error" else 403 if name == "not allowed" else 200
                    if response.status != expected or not page.url.startswith(url + path.split("?")[0]):
                        seen["refused"].append(f"{role} {path}: {response.status} {page.url}")
                        continue
                    check(page, name, path, problems, wide)
                    seen["checked"].add(path)
                for name, path, steps in states(role):
                    page.goto(url + path)
                    steps(page)
                    check(page, name, page.url.removeprefix(url), problems, wide)
            context.close()


def check(page, name, path, problems, wide):
    """axe on the page as it is, then the page at 200 % zoom on a phone: what sticks out, if anything."""
    for violation in run_axe(page):
        problems.append({**violation, "page": f"{name} {path}"})
    twice = page.evaluate(DUPLICATE_IDS)  # axe 4.7 retired its duplicate-id rules; a label or a link still needs one
    if twice:
        problems.append({"rule": "duplicate-id", "impact": "serious", "help": "ids must be unique",
                         "page": f"{name} {path}", "nodes": [(f"#{i}", "", "") for i in twice]})
    page.set_viewport_size(ZOOMED)
    too_wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    if too_wide:
        wide.append(f"{name} {path}: {too_wide[0]} px wide in {ZOOMED['width']} px: {', '.join(too_wide[1])}")
    page.set_viewport_size(TABLET)


DUPLICATE_IDS = """() => {
    const seen = new Set(), twice = new Set();
    document.querySelectorAll('[id]').forEach((e) => (seen.has(e.id) ? twice : seen).add(e.id));
    return [...twice];
}"""


# null when the page fits its width; else its width and the deepest elements and the text sticking out (a wide
# table inside its .scroll region is fine: the region scrolls, not the page)
WIDER_THAN_THE_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        if (e.closest('.scroll') || e.getBoundingClientRect().right <= width + 1) continue;
        if ([...e.children].some((c) => c.getBoundingClientRect().right > width + 1)) continue;
        const right = Math.round(e.getBoundingClientRect().right);
        out.push(`<${e.tagName.toLowerCase()} class="${e.getAttribute('class') || ''}"> ${right} px`);
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('.scroll')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const right = range.getBoundingClientRect().right;
        if (right > width + 1) out.push(`"${node.textContent.trim().slice(0, 40)}" ${Math.round(right)} px`);
    }
    return [document.documentElement.scrollWidth, out.slice(0, 6)];
}"""


def report(problems):
    lines = []
    for p in problems:
        lines.append(f"[{p['rule']}] ({p['impact']}) {p['help']} — on {p['page']}")
        for target, html, summary in p["nodes"][:6]:
            lines.append(f"    {target}  {html}")
    return "\n".join(lines)


def unchecked_routes(app, checked):
    """GET routes that are neither a checked page nor listed as not a page (the API is not one either)."""
    adapter = app.url_map.bind("127.0.0.1")
    endpoints = {adapter.match(path.split("?")[0], method="GET")[0] for path in checked if path != "/no-such-page"}
    return sorted(rule.endpoint for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and rule.endpoint not in endpoints
                  and rule.endpoint not in NOT_PAGES and not rule.endpoint.startswith("api."))


def unrendered_templates(rendered):
    templates = {str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html")}
    return sorted(t for t in templates if not PARTIALS.search(t) and t not in rendered)


# One test for the whole sweep (pytest-xdist would otherwise run the sweep once per worker); its message
# lists every finding at once.
def test_every_page_meets_wcag_22_aa_by_role_and_language_and_fits_a_phone_at_200_percent(site, sweep):
    findings = []
    for (role, lang), problems in sweep["violations"].items():
        if problems:
            findings.append(f"{len(problems)} axe violations for {role} in {lang}:\n" + report(problems))
    wide = [f"  {role}/{lang}: {line}" for (role, lang), lines in sweep["wide"].items() for line in lines]
    if wide:
        findings.append("pages that scroll sideways at 200 % zoom on a 390 px phone:\n" + "\n".join(wide))
    if sweep["refused"]:
        findings.append("pages refused to a role that should see them:\n  " + "\n  ".join(sweep["refused"]))
    if sweep["outside"]:
        findings.append(f"pages asked the internet for {sweep['outside']}")
    missing = unchecked_routes(site[0], sweep["checked"])
    if missing:
        findings.append(f"GET routes neither checked nor listed in a11y_helpers.NOT_PAGES: {missing}")
    unrendered = unrendered_templates(sweep["templates"])
    if unrendered:
        findings.append(f"templates no checked page rendered (add the page to a11y_helpers): {unrendered}")
    assert not findings, "\n\n".join(findings)
    assert sweep["checked"] and all(sweep["violations"][(role, lang)] == [] for role in ROLES for lang in LANGS)


# Every element that shows a level by colour, with the word and the shape it shows it by too
LEVEL_SIGNS = """() => {
    const level = (e) => ([...e.classList].find((c) => c.startsWith('level-') && c !== 'level-badge'
                                                   && c !== 'level-chip') || '').slice('level-'.length);
    const badges = [...document.querySelectorAll('.level-badge')].map((e) => ({
        level: level(e), word: e.textContent.trim(),
        shape: getComputedStyle(e, '::before').content.split(' / ')[0].replace(/"/g, '')}));
    const markers = [...document.querySelectorAll('.vector-map g.marker')].map((e) => ({
        level: level(e), word: e.querySelector('title').textContent.split(': ').pop(),
        shape: (e.querySelector('use.shape') || {getAttribute: () => ''}).getAttribute('href')}));
    const bars = [...document.querySelectorAll('.zone-level')].map((e) => ({
        level: level(e.querySelector('.bar')), badge: level(e.querySelector('.level-badge'))}));
    return {badges, markers, bars};
}"""


def test_a_level_is_never_told_by_colour_alone(site):
    """The public status page, HQ's map and table and the shelter's zones show each level in a word and a shape
    as well as a colour: one shape per level (● ◆ ▲ ■ ○ ?), the same on the badges and the map."""
    _app, url, made, _rendered = site
    with chromium() as browser:
        page = browser.new_page(viewport=TABLET)
        sign_in(page, url, "hq")
        shapes = {}
        for path in ("/public/", "/hq/", f"/shelters/{OPEN}/occupancy"):
            page.goto(url + path)
            signs = page.evaluate(LEVEL_SIGNS)
            assert signs["badges"], path
            for badge in signs["badges"]:
                assert badge["word"] and badge["shape"] not in ("", "none", "normal"), (path, badge)
                assert shapes.setdefault(badge["level"], badge["shape"]) == badge["shape"], (path, badge)
            for marker in signs["markers"]:
                assert marker["word"] and marker["shape"] == f"#shape-{marker['level']}", (path, marker)
            for bar in signs["bars"]:
                assert bar["level"] == bar["badge"], (path, bar)
            if path == "/hq/":
                assert {m["level"] for m in signs["markers"]} >= {"full", "crowded", "some", "closed"}
        assert set(shapes) == {"vacant", "some", "crowded", "full", "closed", "stale"}
        assert len(set(shapes.values())) == len(shapes), f"two levels share a shape: {shapes}"
        page.goto(url + "/public/")
        marker_shapes = page.evaluate("[...document.querySelectorAll('.vector-map defs > *')]"
                                      ".map((e) => e.tagName + (e.getAttribute('d') || ''))")
        assert len(set(marker_shapes)) >= 4, marker_shapes  # ● ◆ ▲ ■ differ in geometry, not colour


def test_the_residents_display_shows_a_new_announcement_without_reloading(site):
    """A reload every minute would throw a screen reader's (or a magnifier's) reader back to the top: the page is
    refreshed in place by refresh.js (and reloads only without scripts)."""
    from shelter_ops.db import connect
    from shelter_ops.domain import daylog, shelters

    app, url, _made, _rendered = site
    with chromium() as browser:
        page = browser.new_page(viewport=TABLET)
        page.clock.install()
        page.goto(f"{url}/residents/{OPEN}/display")
        page.evaluate("window.notReloaded = true")
        db = connect(app.config["DB"])
        try:
            daylog.add_announcement(db, shelters.get(db, OPEN)["id"], ja="夕食は18時から配ります。", actor="system")
        finally:
            db.close()
        page.clock.run_for(61_000)
        page.wait_for_function("() => document.querySelector('main').textContent.includes('夕食は18時から')")
        assert page.evaluate("window.notReloaded") is True
