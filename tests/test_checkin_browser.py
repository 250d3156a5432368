"""The desk in a real browser (headless Chromium): a keyboard-wedge scan under a Japanese IME, and the
live-camera decoder loading its .wasm from this server, never from a CDN."""
import pytest
from shelter_ops import vendor
from shelter_ops.domain import accounts, households

from checkin_helpers import open_shelter
from conftest import PASSWORD

pytestmark = pytest.mark.browser


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


def test_a_wedge_scan_under_a_japanese_ime_checks_in(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    household = households.register(db, shelter_a["id"], {}, [{"name": "読取 太郎"}, {"name": "読取 花子"}],
                                     actor="door", source="door")
    sign_in(browser_page, live_server, db, shelter_a)
    browser_page.goto(live_server + "/shelters/E1420400001111/desk")
    if not vendor.missing():  # 127.0.0.1 is a secure context: the live camera is offered
        assert browser_page.is_visible("#camera-start") and not browser_page.is_visible("#camera-note")
    browser_page.click("#scanbox")
    wedge(browser_page, household["reception_number"], "ちこそしいはきく")
    browser_page.wait_for_selector("#result.result-ok")
    assert "入所しました" in browser_page.inner_text("#result")
    assert households.present_counts(db)[shelter_a["id"]]["total"] == 2
    wedge(browser_page, household["reception_number"], "なにらせ")
    browser_page.wait_for_selector("#result.result-already")
    wedge(browser_page, "AAAAAAA", "ち")
    browser_page.wait_for_selector("#result.result-unknown")
    assert "読み取れません" in browser_page.inner_text("#result")


def test_the_live_camera_decoder_runs_from_local_files(browser_page, live_server, app):
    if vendor.missing():
        pytest.skip("browser files not installed: " + vendor.INSTALL_COMMAND)
    from shelter_ops.web.door import qr_png
    import base64

    browser_page.goto(live_server + "/login")  # any browser_page of this live_server: 127.0.0.1 is a secure context
    browser_page.add_script_tag(url=live_server + "/static/vendor/barcode-detector.ponyfill.js")
    png = base64.b64encode(qr_png("7K93HNL")).decode()
    text = browser_page.evaluate("""async ([wasm, png]) => {
        const api = window.BarcodeDetectionAPI;
        api.prepareZXingModule({overrides: {locateFile: (path, prefix) => path.endsWith('.wasm') ? wasm : prefix + path}});
        const img = new Image();
        img.src = 'data:image/png;base64,' + png;
        await img.decode();
        const found = await new api.BarcodeDetector({formats: ['qr_code']}).detect(img);
        return found.length ? found[0].rawValue : null;
    }""", [live_server + "/static/vendor/zxing_reader.wasm", png])
    assert text == "7K93HNL"


def test_more_people_on_the_door_form_keeps_what_was_typed(browser_page, live_server, db, shelter_a):
    open_shelter(db, shelter_a)
    browser_page.goto(live_server + "/door/E1420400001111")
    browser_page.fill("input[name=p0_name]", "最初 の人")
    assert browser_page.locator("fieldset.person:visible").count() == 3
    browser_page.click("#more-people")
    assert browser_page.locator("fieldset.person:visible").count() == 5
    assert browser_page.input_value("input[name=p0_name]") == "最初 の人"
    browser_page.fill("input[name=p4_name]", "五人目")
    browser_page.click("button.primary")
    browser_page.wait_for_selector("[data-testid=number]")
    household = households.roster(db, shelter_a["id"], statuses=("pending",), include_hidden=True)[0]
    assert [p["name"] for p in household["persons"]] == ["最初 の人", "五人目"]
