"""A shelter's first hour in real browsers (headless Chromium, the system package) against the real
server (run.py) on 127.0.0.1:

the lead opens the shelter through its checklist on a tablet; a family scans the door QR with a
phone and registers; the desk checks them in with a keyboard-wedge scan under the Japanese IME; HQ,
in a second browser, sees the count change without reloading; the public page shows the level;
and the same screens switch to English.

Screenshots of the main screens go to docs/screenshots/ when SHELTER_OPS_SCREENSHOTS=1 (else to
a temporary folder), each under 300 KB.
"""
import io
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import PASSWORD, Server, prepare_db  # noqa: E402
from conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET = {"width": 1180, "height": 820}
PHONE = {"width": 390, "height": 844}
SHOT_LIMIT = 300 * 1024


def shots_dir(tmp_path_factory):
    if os.environ.get("SHELTER_OPS_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def screenshot(page, folder, name):
    """A PNG of what the user sees, made smaller (palette) when it would pass 300 KB."""
    path = folder / f"{name}.png"
    data = page.screenshot(full_page=False)
    if len(data) > SHOT_LIMIT:
        from PIL import Image

        image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=128)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
    path.write_bytes(data)
    assert len(data) < SHOT_LIMIT, f"{path.name} is {len(data)} bytes"
    return path


@pytest.fixture(scope="module")
def playwright_api():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    path = chromium_path()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def served(tmp_path):
    """run.py on a fresh database with one standby shelter, an HQ user (bench-hq) and its lead."""
    db_path = tmp_path / "e2e.sqlite"
    info = prepare_db(db_path, shelters=1, state="standby", usable_m2=350.0,
                      names=[("鎌倉市立第一小学校", "Kamakura Daiichi Elementary School")])
    from shelter_ops.db import connect
    from shelter_ops.domain import accounts

    db = connect(str(db_path))
    try:
        accounts.add_user(db, "lead1", PASSWORD, "lead", shelter_id=info["shelters"][0]["id"])
        accounts.add_user(db, "desk1", PASSWORD, "staff", shelter_id=info["shelters"][0]["id"])
    finally:
        db.close()
    server = Server(db_path)
    server.extra_env["SHELTER_OPS_PUBLIC_URL"] = server.url
    server.start()
    yield server, info
    server.stop()


def context(browser, server, viewport, locale="ja-JP", touch=False):
    """A browser profile that may talk only to our server (any other URL is refused and reported)."""
    ctx = browser.new_context(viewport=viewport, locale=locale, has_touch=touch, is_mobile=touch,
                              device_scale_factor=1)
    outside = []

    def only_here(route):
        if route.request.url.startswith(server.url) or route.request.url.startswith("data:"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    ctx.route("**/*", only_here)
    ctx.outside = outside
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return ctx, page


def sign_in(page, server, name):
    page.goto(server.url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button.primary")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("body")[:300]


def wedge_scan(page, text, kana="ちこそしいはきくまの"):
    """A keyboard-wedge scanner typing through a JIS keyboard with the Japanese IME on: the physical
    keys (`code`) are right, the characters (`key`) come out as "Process"/kana/full-width."""
    page.evaluate("""([text, kana]) => {
        const target = document.activeElement || document.body;
        const fullwidth = c => String.fromCharCode(c.charCodeAt(0) + 0xFEE0);
        for (let i = 0; i < text.length; i++) {
            const ch = text[i];
            const code = /[0-9]/.test(ch) ? 'Digit' + ch : 'Key' + ch;
            const key = i % 3 === 0 ? 'Process' : (i % 3 === 1 ? kana[i % kana.length] : fullwidth(ch));
            target.dispatchEvent(new KeyboardEvent('keydown', {code, key, keyCode: 229, isComposing: true,
                                                               bubbles: true, cancelable: true}));
        }
        target.dispatchEvent(new KeyboardEvent('keydown', {code: 'Enter', key: 'Enter', keyCode: 13,
                                                           bubbles: true, cancelable: true}));
    }""", [text, kana])


def read_door_qr(page, server, ref):
    """The URL a phone gets from the QR code on the shelter's door (rendered, then decoded)."""
    import zxingcpp
    from PIL import Image

    page.goto(f"{server.url}/door/{ref}/qr.svg")
    image = Image.open(io.BytesIO(page.screenshot())).convert("L")
    found = zxingcpp.read_barcodes(image)
    assert found, "the door QR code could not be read"
    return found[0].text


def present_on_hq(page, kyotsu_id):
    return int(page.inner_text(f'tr[data-kyotsu="{kyotsu_id}"] [data-field="present"]').strip())


def test_a_shelters_first_hour_in_real_browsers(playwright_api, served, tmp_path_factory):
    server, info = served
    ref = info["shelters"][0]["kyotsu_id"]
    shots = shots_dir(tmp_path_factory)
    browser = playwright_api
    contexts = []
    try:
        # 1. the lead opens the shelter through its checklist (tablet)
        lead_ctx, lead = context(browser, server, TABLET)
        contexts.append(lead_ctx)
        sign_in(lead, server, "lead1")
        lead.goto(f"{server.url}/shelters/{ref}")
        lead.click("#lifecycle form.transition input[name=to][value=opening] ~ button")
        lead.wait_for_load_state()
        assert "開設準備" in lead.inner_text("[data-testid=state]")
        while lead.locator("#checklist li.todo").count():
            item = lead.locator("#checklist li.todo").first
            usable = item.locator("button[value=usable]")
            (usable if usable.count() else item.locator("button")).first.click()
            lead.wait_for_load_state()
        screenshot(lead, shots, "01-checklist")
        lead.click("#lifecycle form.transition input[name=to][value=open] ~ button")
        lead.wait_for_load_state()
        assert "開設" == lead.inner_text("[data-testid=state]").strip()

        # 2. HQ watches in a second browser
        hq_ctx, hq = context(browser, server, TABLET)
        contexts.append(hq_ctx)
        sign_in(hq, server, "bench-hq")
        hq.goto(f"{server.url}/hq/")
        assert present_on_hq(hq, ref) == 0
        hq.evaluate("window.__notReloaded = true")

        # 3. a family scans the door QR with a phone and registers
        door_url = read_door_qr(lead, server, ref)
        assert door_url == f"{server.url}/door/{ref}", door_url
        phone_ctx, phone = context(browser, server, PHONE, touch=True)
        contexts.append(phone_ctx)
        phone.goto(door_url)
        phone.fill("input[name=p0_name]", "鎌倉 花子")
        phone.fill("input[name=p0_kana]", "かまくら はなこ")
        phone.select_option("select[name=p0_sex]", "female")
        phone.fill("input[name=p0_age]", "72")
        phone.fill("input[name=p1_name]", "鎌倉 太郎")
        phone.fill("input[name=p1_age]", "８")
        phone.fill("input[name=phone]", "0467-23-3000")
        screenshot(phone, shots, "02-door-phone-form")
        phone.click("form.household-form button.primary")
        phone.wait_for_selector("[data-testid=number]")
        number = re.sub(r"[^0-9A-Z]", "", phone.inner_text("[data-testid=number]"))
        assert len(number) >= 7
        screenshot(phone, shots, "03-door-phone-number")
        assert present_on_hq(hq, ref) == 0  # registered is not yet checked in

        # 4. the desk scans it: keyboard wedge under the Japanese IME
        desk_ctx, desk = context(browser, server, TABLET)
        contexts.append(desk_ctx)
        sign_in(desk, server, "desk1")
        desk.goto(f"{server.url}/shelters/{ref}/desk")
        desk.click("#scanbox")
        wedge_scan(desk, number)
        desk.wait_for_selector("#result.result-ok")
        assert "鎌倉 花子" in desk.inner_text("#result")
        screenshot(desk, shots, "04-desk-checked-in")
        wedge_scan(desk, number)
        desk.wait_for_selector("#result.result-already")

        # 5. HQ sees the count change without reloading
        hq.wait_for_function(
            f"""() => document.querySelector('tr[data-kyotsu="{ref}"] [data-field="present"]').textContent.trim() === '2'""",
            timeout=15000)
        assert hq.evaluate("window.__notReloaded") is True
        screenshot(hq, shots, "05-hq-overview")

        # 6. the public page shows the level (a phone, no login)
        public_ctx, public = context(browser, server, PHONE, touch=True)
        contexts.append(public_ctx)
        public.goto(f"{server.url}/public/")
        row = public.locator(f'li.status-row[data-kyotsu="{ref}"]')
        assert row.count() == 1
        label = row.locator("[data-field=label]").inner_text().strip()
        assert label in ("空いています", "やや混雑", "混雑", "満", "確認中"), label
        assert row.locator("[data-field=occupancy]").inner_text().strip() == "2"
        body = public.inner_text("body")
        assert "花子" not in body and "太郎" not in body  # no evacuee names on public pages, ever
        screenshot(public, shots, "06-public-status")

        # the lead's occupancy dashboard and the entrance display
        lead.goto(f"{server.url}/shelters/{ref}/occupancy")
        screenshot(lead, shots, "09-occupancy-dashboard")
        display_ctx, display = context(browser, server, {"width": 1280, "height": 720})
        contexts.append(display_ctx)
        display.goto(f"{server.url}/public/shelters/{ref}/display")
        assert "2" in display.inner_text("body")
        screenshot(display, shots, "10-entrance-display")

        # 7. switching to English
        public.click(".language-switch a[data-lang=en]")  # evacuee pages: the switch of every language
        public.wait_for_load_state()
        assert public.evaluate("document.documentElement.lang") == "en"
        label_en = public.locator(f'li.status-row[data-kyotsu="{ref}"] [data-field=label]').inner_text().strip()
        assert label_en in ("Vacant", "Some room", "Crowded", "Full", "Being checked") or re.match(r"^[ -~]+$", label_en), label_en
        screenshot(public, shots, "07-public-status-en")
        desk.click("a.lang[lang=en]")
        desk.wait_for_load_state()
        assert desk.evaluate("document.documentElement.lang") == "en"
        screenshot(desk, shots, "08-desk-en")

        for ctx in contexts:
            assert not ctx.outside, f"a page asked the internet for {ctx.outside}"
    finally:
        for ctx in contexts:
            ctx.close()
