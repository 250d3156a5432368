"""Accessibility of every page, in one headless Chromium against one server on 127.0.0.1.

Every page of the app (from its route map) is opened by each role that may see it (nobody signed in, staff,
lead, HQ: domain/access.py), in Japanese and in English, and:
- axe-core (node_modules/axe-core, injected by the test: nothing comes from the internet) finds no
  violation of WCAG 2.0/2.1/2.2 A and AA;
- at 200 % zoom on a 390 px phone (195 CSS px wide) the page does not scroll sideways.
A GET route that is neither a checked page nor listed as not a page (files, feeds, redirects) fails the
test, and so does a template that no checked page renders.
"""
import re
import time
from pathlib import Path

import pytest
from flask import template_rendered

from a11y_helpers import (AXE, NOT_PAGES, OPEN, PHONE, ROLES, TABLET, chromium, page_list, run_axe, seed,
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
                      "PREREG_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
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


# Two Chromiums side by side (each in its own thread, with its own Playwright), about as busy as each other
SHIFTS = (("hq", "public"), ("staff", "lead"))


@pytest.fixture(scope="module")
def sweep(site):
    """Every page for every role and language: axe's violations, sideways scrolling at 200 %, what was seen."""
    from concurrent.futures import ThreadPoolExecutor

    app, url, made, rendered = site
    axe_source = AXE.read_text(encoding="utf-8")
    seen = {"violations": {}, "wide": {}, "checked": set(), "refused": [], "outside": [], "seconds": 0}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(SHIFTS)) as pool:
        for done in [pool.submit(visit, roles, url, made, axe_source, seen) for roles in SHIFTS]:
            done.result()
    seen["seconds"] = time.monotonic() - started
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
    page.set_viewport_size(ZOOMED)
    too_wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    if too_wide:
        wide.append(f"{name} {path}: {too_wide[0]} px wide in {ZOOMED['width']} px: {', '.join(too_wide[1])}")
    page.set_viewport_size(TABLET)


# null when the page fits its width; else its width and the deepest elements and the text sticking out (a wide
# table inside its .scroll region is fine: the region scrolls, not the page)
WIDER_THAN_THE_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        if (e.closest('.scroll') || e.getBoundingClientRect().right <= width + 1) continue;
        if ([...e.children].some((c) => c.getBoundingClientRect().right > width + 1)) continue;
        out.push(`<${e.tagName.toLowerCase()} class="${e.getAttribute('class') || ''}"> ${Math.round(e.getBoundingClientRect().right)} px`);
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


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_breaks_wcag_22_aa_according_to_axe(sweep, role, lang):
    problems = sweep["violations"][(role, lang)]
    assert not problems, f"{len(problems)} axe violations for {role} in {lang}:\n" + report(problems)


def test_no_page_scrolls_sideways_at_200_percent_zoom_on_a_phone(sweep):
    wide = [f"{role}/{lang}: {line}" for (role, lang), lines in sweep["wide"].items() for line in lines]
    assert not wide, "\n".join(wide)


def test_every_page_of_the_route_map_is_checked(site, sweep):
    app, _url, _made, _rendered = site
    adapter = app.url_map.bind("127.0.0.1")
    checked = {adapter.match(path.split("?")[0], method="GET")[0] for path in sweep["checked"] if path != "/no-such-page"}
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                     if "GET" in rule.methods and rule.endpoint not in checked
                     and rule.endpoint not in NOT_PAGES and not rule.endpoint.startswith("api."))
    assert not missing, f"GET routes neither checked nor listed in a11y_helpers.NOT_PAGES: {missing}"


def test_every_template_is_rendered_by_a_checked_page(sweep):
    templates = {str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html")}
    pages = {t for t in templates if not PARTIALS.search(t)}
    assert not pages - sweep["templates"], f"templates no checked page rendered: {sorted(pages - sweep['templates'])}"


def test_each_role_sees_its_pages_and_nothing_leaves_127_0_0_1(sweep):
    assert not sweep["refused"], "\n".join(sweep["refused"])
    assert not sweep["outside"], f"pages asked the internet for {sweep['outside']}"
