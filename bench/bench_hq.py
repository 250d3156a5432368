"""HQ overview with a prefecture's shelters: first paint in headless Chromium (server render +
browser paint), 1,500 clustered shelters, the live map included."""
from .browser import CHROMIUM_ARGS, chromium_path, sign_in, sync_playwright
from .harness import PASSWORD, Server, median
from .prefecture import clustered_shelters, load
from .table import Row, ms, verdict

WHAT = "HQ overview, 1,500 clustered shelters: first paint in Chromium (server + paint)"
TARGET = "≤ 1 s"

# the navigation's own timings: when the HTML was asked for, when it was all in, and the first
# contentful paint, all from the start of the navigation
PAINT_JS = """() => new Promise(resolve => {
    const done = () => {
        const nav = performance.getEntriesByType('navigation')[0];
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        if (!paint) { return setTimeout(done, 20); }
        resolve([paint.startTime, nav.responseEnd - nav.requestStart, nav.transferSize || nav.encodedBodySize,
                 document.querySelectorAll('svg.vector-map .marker').length]);
    };
    done();
})"""


def prepare(path, n):
    from shelter_ops.db import connect, migrate
    from shelter_ops.domain import accounts

    db = connect(str(path))
    try:
        migrate(db)
        load(db, clustered_shelters(n))
        accounts.add_user(db, "bench-hq", PASSWORD, "hq")
    finally:
        db.close()


def run(smoke=False, runs=3):
    import tempfile
    from pathlib import Path

    n = 60 if smoke else 1500
    loads = 1 if smoke else max(5, runs)
    path = chromium_path()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "hq.sqlite"
        prepare(db_path, n)
        server = Server(db_path, async_mode="gevent").start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="ja-JP")
                    page.set_default_timeout(30000)
                    sign_in(page, server.url, "bench-hq")
                    page.goto(f"{server.url}/hq/")  # warm: the first request compiles the templates
                    paints, servers, sizes, markers = [], [], [], 0
                    for _ in range(loads):
                        # the previous page's live snapshot (every shelter, sent on joining the hq
                        # room) is served by the same process: let it finish, as between two HQ visits
                        page.wait_for_timeout(2000)
                        page.goto(f"{server.url}/hq/", wait_until="load")
                        paint_ms, server_ms, size, markers = page.evaluate(PAINT_JS)
                        paints.append(paint_ms / 1000)
                        servers.append(server_ms / 1000)
                        sizes.append(size)
                finally:
                    browser.close()
        finally:
            server.stop()
    first_paint = median(paints)
    return [Row(WHAT if not smoke else WHAT.replace("1,500", str(n)), ms(first_paint), "—", "—", TARGET,
                verdict(first_paint <= 1.0 and markers == n),
                f"{loads} loads; HTML {ms(median(servers))} (request → last byte, {median(sizes) / 1024:.0f} KB); "
                f"{markers} map markers; table paged")]
