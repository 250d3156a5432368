"""The desk in a real browser (headless Chromium): a keyboard-wedge scan under a Japanese IME, and the
live-camera decoder loading its .wasm from this server, never from a CDN."""
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from shelter_ops import vendor
from shelter_ops.domain import accounts, households

from checkin_helpers import open_shelter
from conftest import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(locale="ja-JP")
        outside = []

        def only_here(route):
            if route.request.url.startswith(server):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", only_here)
        tab = context.new_page()
        tab.set_default_timeout(15000)
        yield tab
        assert not outside, f"the page asked the internet for {outside}"
        browser.close()


def sign_in(page, server, db, shelter):
    accounts.add_user(db, "desk1", PASSWORD, "staff", shelter_id=shelter["id"])
    page.goto(server + "/login")
    page.fill("input[name=name]", "desk1")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form button")
    page.wait_for_load_state()


def wedge(page, text, kana):
    """What a scanner sends through a JIS keyboard with the IME on: the physical keys (code) right,
    the characters (key) garbled into kana."""
    page.evaluate("""([text, kana]) => {
        const target = document.activeElement || document.body;
        for (let i = 0; i < text.length; i++) {
            const ch = text[i];
            const code = /[0-9]/.test(ch) ? 'Digit' + ch : 'Key' + ch;
            target.dispatchEvent(new KeyboardEvent('keydown', {code, key: kana[i % kana.length], keyCode: 229,
                                                               bubbles: true, cancelable: true}));
        }
        target.dispatchEvent(new KeyboardEvent('keydown', {code: 'Enter', key: 'Enter', bubbles: true, cancelable: true}));
    }""", [text, kana])


def test_a_wedge_scan_under_a_japanese_ime_checks_in(page, server, db, shelter_a):
    open_shelter(db, shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "読取 太郎"}, {"name": "読取 花子"}],
                                     actor="door", source="door")
    sign_in(page, server, db, shelter_a)
    page.goto(server + "/shelters/E1420400001111/desk")
    if not vendor.missing():  # 127.0.0.1 is a secure context: the live camera is offered
        assert page.is_visible("#camera-start") and not page.is_visible("#camera-note")
    page.click("#scanbox")
    wedge(page, household["reception_number"], "ちこそしいはきく")
    page.wait_for_selector("#result.result-ok")
    assert "入所しました" in page.inner_text("#result")
    assert households.present_counts(db)[shelter_a["id"]]["total"] == 2
    wedge(page, household["reception_number"], "なにらせ")
    page.wait_for_selector("#result.result-already")
    wedge(page, "AAAAAAA", "ち")
    page.wait_for_selector("#result.result-unknown")
    assert "読み取れません" in page.inner_text("#result")


def test_the_live_camera_decoder_runs_from_local_files(page, server, app):
    if vendor.missing():
        pytest.skip("browser files not installed: " + vendor.INSTALL_COMMAND)
    from shelter_ops.web.door import qr_png
    import base64

    page.goto(server + "/login")  # any page of this server: 127.0.0.1 is a secure context
    page.add_script_tag(url=server + "/static/vendor/barcode-detector.ponyfill.js")
    png = base64.b64encode(qr_png("7K93HNL")).decode()
    text = page.evaluate("""async ([wasm, png]) => {
        const api = window.BarcodeDetectionAPI;
        api.prepareZXingModule({overrides: {locateFile: (path, prefix) => path.endsWith('.wasm') ? wasm : prefix + path}});
        const img = new Image();
        img.src = 'data:image/png;base64,' + png;
        await img.decode();
        const found = await new api.BarcodeDetector({formats: ['qr_code']}).detect(img);
        return found.length ? found[0].rawValue : null;
    }""", [server + "/static/vendor/zxing_reader.wasm", png])
    assert text == "7K93HNL"


def test_more_people_on_the_door_form_keeps_what_was_typed(page, server, db, shelter_a):
    open_shelter(db, shelter_a)
    page.goto(server + "/door/E1420400001111")
    page.fill("input[name=p0_name]", "最初 の人")
    assert page.locator("fieldset.person:visible").count() == 3
    page.click("#more-people")
    assert page.locator("fieldset.person:visible").count() == 5
    assert page.input_value("input[name=p0_name]") == "最初 の人"
    page.fill("input[name=p4_name]", "五人目")
    page.click("button.primary")
    page.wait_for_selector("[data-testid=number]")
    household = households.roster(db, shelter_a["id"], statuses=("pending",), include_hidden=True)[0]
    assert [p["name"] for p in household["persons"]] == ["最初 の人", "五人目"]
