"""Headless Chromium (the system package) driven by Python playwright, for the browser benchmarks.
Never downloads a browser: `executable_path` is the system's chromium."""
import contextlib
import shutil

from .harness import PASSWORD, Skip

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# A keyboard-wedge scan under the Japanese IME: the physical keys (`code`) are right, the
# characters (`key`) are "Process", kana or full-width. Resolves with the milliseconds from the
# first key to the confirmation being rendered (the frame after #result shows the outcome).
TIMED_WEDGE_JS = """([text]) => new Promise((resolve, reject) => {
    const box = document.getElementById('result');
    box.className = 'scan-result';
    const t0 = performance.now();
    const done = () => /result-(ok|already|unknown)/.test(box.className);
    const obs = new MutationObserver(() => {
        if (done()) { obs.disconnect(); requestAnimationFrame(() => resolve([performance.now() - t0, box.className])); }
    });
    obs.observe(box, {attributes: true, childList: true, subtree: true});
    setTimeout(() => { obs.disconnect(); reject(new Error('no confirmation within 10 s')); }, 10000);
    const target = document.activeElement || document.body;
    const kana = 'ちこそしいはきくまの';
    const full = c => String.fromCharCode(c.charCodeAt(0) + 0xFEE0);
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        const code = /[0-9]/.test(ch) ? 'Digit' + ch : 'Key' + ch;
        const key = i % 3 === 0 ? 'Process' : (i % 3 === 1 ? kana[i % kana.length] : full(ch));
        target.dispatchEvent(new KeyboardEvent('keydown', {code, key, keyCode: 229, isComposing: true,
                                                           bubbles: true, cancelable: true}));
    }
    target.dispatchEvent(new KeyboardEvent('keydown', {code: 'Enter', key: 'Enter', keyCode: 13,
                                                       bubbles: true, cancelable: true}));
})"""


def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise Skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    return path


def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        raise Skip("playwright is not installed (pip install playwright; no browser download needed)")
    return start()


def sign_in(page, base_url, name, password=PASSWORD):
    page.goto(base_url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form button.primary")
    page.wait_for_load_state()


@contextlib.contextmanager
def desk_page(server, ref, user="bench-hq"):
    """A tablet-sized Chromium tab, signed in, on shelter `ref`'s desk with the scan box focused."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1180, "height": 820}, locale="ja-JP")
            page.set_default_timeout(15000)
            sign_in(page, server.url, user)
            page.goto(f"{server.url}/shelters/{ref}/desk")
            page.click("#scanbox")
            yield page
        finally:
            browser.close()


def wedge_times(page, texts, outcomes):
    """Type each text as a keyboard-wedge reader does; the seconds each took until its answer was
    rendered. Each answer's class goes into the set `outcomes`."""
    times = []
    for text in texts:
        elapsed, outcome = page.evaluate(TIMED_WEDGE_JS, [text])
        outcomes.add(outcome)
        times.append(elapsed / 1000)
    return times
