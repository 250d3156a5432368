"""Public /public/status.json requests per second with 32 concurrent clients, plain and with
If-None-Match (304), against a static file served by the same server, in gevent mode (the server
for crowds of phones and many screens; see bench_api for why)."""
from .harness import Skip, get, load, median, running_server
from .table import Row, fmt, ms, verdict

WHAT = "public status.json req/s, 32 clients, gevent mode"
MODE = "gevent"
TARGET = "≥ 1,000/s, ratio ≥ 0.5"
STATUS = "/public/status.json"
STATIC = "/static/css/app.css"


def run(smoke=False, runs=3):
    total = 100 if smoke else 3000
    clients = 4 if smoke else 32
    shelters = 5 if smoke else 100
    static_rates, plain, plain_p99, cached, cached_p99 = [], [], [], [], []
    with running_server(async_mode=MODE, shelters=shelters) as (server, _info):
        status, _body = get(server.url + STATUS)
        if status != 200:
            raise Skip(f"GET {STATUS} answers {status}: not there yet (live-occupancy issue 4)")
        probe = load(server.url, lambda i: ("GET", STATUS, None, {}), clients=1, total=1)
        etag = None
        from .harness import Client

        client = Client(server.url)
        _s, headers, _b = client.request("GET", STATUS)
        client.close()
        etag = {k.lower(): v for k, v in headers.items()}.get("etag")
        for _ in range(runs):
            base = load(server.url, lambda i: ("GET", STATIC, None, {}), clients=clients, total=total)
            static_rates.append(base["rate"])
            got = load(server.url, lambda i: ("GET", STATUS, None, {}), clients=clients, total=total)
            bad = [s for _i, s, _b in got["results"] if s != 200]
            if bad:
                raise RuntimeError(f"{len(bad)} status.json requests failed: {bad[:5]}")
            plain.append(got["rate"])
            plain_p99.append(got["p99"])
            if etag:
                got = load(server.url, lambda i: ("GET", STATUS, None, {"If-None-Match": etag}),
                           clients=clients, total=total)
                if any(s != 304 for _i, s, _b in got["results"]):
                    etag = None  # the ETag changed under us (freshness ticks): report plain only
                else:
                    cached.append(got["rate"])
                    cached_p99.append(got["p99"])
        del probe
    base = median(static_rates)
    rows = []
    for label, rates, p99s in (("", plain, plain_p99), (" with If-None-Match (304)", cached, cached_p99)):
        if not rates:
            rows.append(Row(WHAT + label, target=TARGET, status="skipped", note="no stable ETag on status.json"))
            continue
        rate = median(rates)
        ratio = rate / base if base else None
        rows.append(Row(WHAT + label, f"{fmt(rate, '/s')} (p99 {ms(median(p99s))})",
                        f"static {STATIC} {fmt(base, '/s')}", fmt(ratio, '', 2), TARGET,
                        verdict(rate >= 1000 and ratio >= 0.5), f"{shelters} open shelters"))
    return rows
