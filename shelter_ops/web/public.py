"""Public pages and open-data feeds for phones: no login, never any personal data, never a hidden shelter.

Everything here is built from `capacity.public_snapshots()`, which reads shelter columns that
hold no personal data and head counts only; feeds carry an ETag and a short public max-age so a
crowd of phones is absorbed by nginx or a CDN.
"""
import csv
import hashlib
import io
import json
import math
import time
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup, escape
from offline_print import geo

from ..db import get_db
from ..domain import capacity, clock, gis, numbering, shelters
from ..domain.errors import NotFound
from ..domain.text import csv_row

bp = Blueprint("public", __name__, url_prefix="/public")

MAX_AGE = 10  # seconds a browser, nginx or a CDN may reuse a feed
PAGE_REFRESH = 60  # seconds: the page reloads itself without JavaScript
DISPLAY_REFRESH = 30

CSV_COLUMNS = ("共通ID", "施設名", "施設名_英字", "開設状況", "避難者数", "定員", "定員状況", "混雑度",
               "確認中", "1人あたり面積_m2", "緯度", "経度", "updated_at")
FEED_KEYS = capacity.PUBLIC_KEYS + ("status", "label_ja", "label_en")


@bp.app_template_global("level_label")
def label(record):
    """(ja, en) of what the public is told: the level, or 確認中 when the count is not fresh."""
    if record["stale"] and record["state"] == "open":
        return capacity.STALE_LABEL
    return capacity.LEVELS[record["level"]]


def feed_record(record):
    """A public record with the national opening status (EEI 開設状況) and the words to show."""
    ja, en = label(record)
    return {**record, "status": shelters.EEI_STATUS.get(record["state"], "不明"), "label_ja": ja, "label_en": en}


CACHE_SECONDS = 10  # the longest a computed list is reused, even when nothing was recorded


def _current():
    """The cache entry for the figures as they are now: {version, at, rows, feeds}.

    Every change appends an event (DESIGN §2), so the newest event's rowid tells whether the
    figures can have changed (a hidden shelter vanishes with the next request); a crowd of phones
    then costs one tiny query per request. The entry is replaced whole, never changed in place
    (except for adding an encoded feed), so concurrent requests never see half of one."""
    db = get_db()
    cache = current_app.extensions.setdefault("shelter_ops_public", {})
    version = db.execute("select max(rowid) from events").fetchone()[0]
    now = time.monotonic()
    entry = cache.get("entry")
    if entry is None or entry["version"] != version or now - entry["at"] >= CACHE_SECONDS:
        rows = [feed_record(r) for r in capacity.public_snapshots(db, current_app.config)]
        entry = {"version": version, "at": now, "rows": rows, "feeds": {}}
        cache["entry"] = entry
    return entry


def records():
    """The published shelters as feed records (copies: callers add keys such as the distance)."""
    return [dict(r) for r in _current()["rows"]]


def _point(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def here():
    """The phone's location from ?lat=&lon= (shared by the page's script), or None."""
    lat, lon = _point(request.args.get("lat")), _point(request.args.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


# where someone looking for a place to go should look first: open, then opening soon, then the rest
STATE_ORDER = {"open": 0, "opening": 1}


def sort_records(rows, position, lang):
    """Open shelters first (a phone's first screen must show where to go), then opening ones, then
    the rest; within each, nearest first when the phone shared its location, else by name. Each
    row gets its km (or None)."""
    for row in rows:
        row["km"] = (geo.distance_km((position[1], position[0]), (row["lon"], row["lat"]))
                     if position and row["lat"] is not None and row["lon"] is not None else None)

    def name(r):
        return (r["name_en"] or r["name"] or "") if lang == "en" else (r["name"] or "")

    def rank(r):
        return STATE_ORDER.get(r["state"], 2)

    if position:
        return sorted(rows, key=lambda r: (rank(r), r["km"] is None, r["km"] or 0, name(r)))
    return sorted(rows, key=lambda r: (rank(r), name(r)))


def _screen(lat, lon):
    """Web Mercator (geo.mercator) with y growing southwards, as on a screen."""
    x, y = geo.mercator(lon, lat)
    return x, -y


def map_points(rows, position=None, width=640, height=420, pad=28, lang="ja"):
    """Markers (numbered as in the list and on the paper map) fitted into a width × height SVG, north up,
    same scale both ways. Each point carries what its marker shows (shown level, name and words in `lang`),
    worked out here once rather than per marker in the template: HQ's map has a prefecture's 1,500."""
    placed = [(r.get("number", n), r) for n, r in enumerate(rows, 1) if r["lat"] is not None and r["lon"] is not None]
    coords = [_screen(r["lat"], r["lon"]) for _, r in placed]
    if position:
        coords.append(_screen(*position))
    if not coords:
        return {"width": width, "height": height, "points": [], "here": None}
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span_x, span_y = max(xs) - min(xs) or 1e-6, max(ys) - min(ys) or 1e-6
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y) if len(coords) > 1 else 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def project(c):
        return round(width / 2 + (c[0] - cx) * scale, 1), round(height / 2 + (c[1] - cy) * scale, 1)

    from ..languages import JAPANESE, word

    japanese = lang in JAPANESE

    def shown(r):
        stale = r["stale"] and r["state"] == "open"
        return {"level": "stale" if stale else r["level"], "words": word(lang, label(r)),
                "name": r["name"] if japanese else (r["name_en"] or r["name"])}

    points = [{"n": n, "record": r, "x": project(c)[0], "y": project(c)[1], **shown(r)}
              for (n, r), c in zip(placed, coords)]
    me = project(coords[-1]) if position else None
    return {"width": width, "height": height, "points": points, "here": me}


@bp.app_template_global()
def svg_markers(map, marker_r=13, numbered=True):
    """The markers of an svg_map (templates/public/_macros.html), joined here rather than looped in
    Jinja: HQ's map of a prefecture has 1,500, and the template loop was most of the page's time.
    Each is <g class="marker level-…" data-kyotsu data-state> (live.js updates them) with a title; its shape
    is the level's (marker_shapes), so that the level is never told by colour alone."""
    out = []
    for p in map["points"]:
        s = p["record"]
        number = f"{p['n']}. " if numbered else ""
        text = (f'<text x="{p["x"]}" y="{round(p["y"] + 5, 1)}" text-anchor="middle">{p["n"]}</text>'
                if numbered else "")
        level = escape(p["level"])
        out.append(f'<g class="marker level-{level}" data-kyotsu="{escape(s["kyotsu_id"] or "")}" '
                   f'data-state="{escape(s["state"])}"><use class="shape" href="#shape-{level}" x="{p["x"]}" '
                   f'y="{p["y"]}"/>{text}<title>{number}{escape(p["name"] or "")}: {escape(p["words"])}</title></g>')
    return Markup("\n".join(out))


@bp.app_template_global()
def marker_shapes(marker_r=13):
    """<defs> of the level shapes the markers use, around (0, 0): ● vacant, ◆ somewhat crowded, ▲ crowded,
    ■ full, ○ not in use and being checked (the badges' ::before shows the same shapes beside the words)."""
    r = int(marker_r)
    diamond, tri_top, tri_side, tri_base, half = round(r * 1.3, 1), round(r * 1.5, 1), round(r * 1.4, 1), \
        round(r * 0.95, 1), round(r * 0.95, 1)
    shapes = {
        "vacant": f'<circle id="shape-vacant" r="{r}"/>',
        "some": f'<path id="shape-some" d="M0 -{diamond} L{diamond} 0 L0 {diamond} L-{diamond} 0 Z"/>',
        "crowded": f'<path id="shape-crowded" d="M0 -{tri_top} L{tri_side} {tri_base} L-{tri_side} {tri_base} Z"/>',
        "full": f'<rect id="shape-full" x="-{half}" y="-{half}" width="{2 * half}" height="{2 * half}"/>',
        "closed": f'<circle id="shape-closed" r="{r}"/>',
        "stale": f'<circle id="shape-stale" r="{r}"/>',
    }
    return Markup("<defs>" + "".join(shapes.values()) + "</defs>")


@bp.app_template_global()
def minutes_ago(stamp):
    if not stamp:
        return None
    when = datetime.fromisoformat(stamp)
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return max(0, int((clock.utcnow() - when).total_seconds() // 60))


def _page_globals():
    return {"levels": capacity.LEVELS, "stale_label": capacity.STALE_LABEL, "stale_minutes": current_app.config["STALE_MINUTES"]}


@bp.route("/")
def index():
    """Which shelters are open and how full, nearest first when the phone shares its location."""
    from ..i18n import lang, reads_japanese

    position = here()
    rows = records()
    numbers = numbering.shelter_numbers(rows)  # the paper map's numbers too
    for row in rows:
        row["number"] = numbers[numbering.key_of(row)]
    rows = sort_records(rows, position, "ja" if reads_japanese() else "en")
    return render_template("public/index.html", shelters=rows, position=position,
                           map=map_points(rows, position, lang=lang()),
                           refresh=PAGE_REFRESH,
                           m2_per_person=capacity.m2_per_person(get_db(), current_app.config["M2_PER_PERSON"]),
                           **_page_globals())


@bp.route("/shelters/<ref>/display")
def display(ref):
    """The entrance display: one shelter, its level and count in huge type."""
    found = [r for r in records() if ref in (r["kyotsu_id"],)]
    if not found:  # records() holds the public shelters only (shelters.is_public)
        raise NotFound(*shelters.NOT_PUBLISHED)
    return render_template("public/display.html", s=found[0], refresh=DISPLAY_REFRESH, **_page_globals())


def _feed(name, mimetype, encode):
    """A feed response that nginx or a CDN may cache briefly, and that answers 304 when unchanged.

    The encoded body and its ETag are kept with the records they came from, so a repeated request
    (or an If-None-Match one) costs no encoding and no hashing until the figures change."""
    entry = _current()
    feed = entry["feeds"].get(name)
    if feed is None:
        body = encode([dict(r) for r in entry["rows"]])
        data = body.encode("utf-8") if isinstance(body, str) else body
        feed = (data, hashlib.sha256(data).hexdigest()[:32])
        entry["feeds"][name] = feed
    data, etag = feed
    response = Response(data, mimetype=mimetype)  # the bytes are shared, not copied
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)  # 304 (no body) when If-None-Match names this ETag


def _status_json(rows):
    body = {"municipality_code": current_app.config["MUNICIPALITY_CODE"],
            "stale_minutes": current_app.config["STALE_MINUTES"],
            "level_labels": level_labels(),
            "shelters": rows}
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def level_labels():
    """{level: {language code: word}} for every evacuee language: a sign or an app shows each
    shelter's level in its reader's language from `level` (and `stale`: the key "stale")."""
    from ..languages import LANGUAGES, word

    levels = {**capacity.LEVELS, "stale": capacity.STALE_LABEL}
    return {level: {language.code: word(language.code, pair) for language in LANGUAGES} for level, pair in levels.items()}


def _status_csv(rows):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(csv_row([r["kyotsu_id"], r["name"], r["name_en"] or "", r["status"], r["occupancy"], r["capacity"],
                         r["label_ja"], r["level"], "1" if r["stale"] else "", r["m2_per_person"],
                         "" if r["lat"] is None else r["lat"], "" if r["lon"] is None else r["lon"],
                         r["updated_at"] or ""]))
    return out.getvalue()


def _status_geojson(rows):
    # the GSI attribute names and 共通ID beside the live state, for GIS layers (docs/interop.md)
    return gis.feature_collection(rows, gis.facility_attributes(get_db()), current_app.config)


@bp.route("/status.json")
def status_json():
    """Every published shelter: level, count, capacity, freshness. Open data, no personal fields."""
    return _feed("json", "application/json", _status_json)


@bp.route("/status.csv")
def status_csv():
    """The same as CSV (UTF-8 with BOM for Excel), columns named after the national attributes."""
    response = _feed("csv", "text/csv", _status_csv)
    response.headers["Content-Disposition"] = "inline; filename=shelter-status.csv"
    return response


@bp.route("/status.geojson")
def status_geojson():
    """The same as GeoJSON points (longitude, latitude) for any map, with the GSI attribute names."""
    return _feed("geojson", "application/geo+json", _status_geojson)
