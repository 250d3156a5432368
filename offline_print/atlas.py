"""The atlas of a prefecture: an overview sheet with a sheet grid, one sheet per grid cell (or per
municipality) at a scale where no marker hides another, then the index of every shelter.

One A4 map of 1,500 shelters is a blob; the atlas keeps the city map's numbers (the public page's),
its marker shapes and letters, and its grid references, and adds the sheet: 「42番 → 図郭 C4 の B2」.
"""
import math

from reportlab.lib import colors
from reportlab.lib.units import mm

from . import geo
from .map import (DEFAULT_ATTRIBUTION, INK, ROW_LETTERS, Occupied, Projection, _draw_grid, _draw_index,
                  _draw_layers, _draw_legend, _draw_markers, _draw_names, _grid_ref, _marker_font, _north_arrow,
                  _place_markers, _scale_bar, number_shelters)
from .pdf import GREY, Canvas, fit_text, footer, qr, stamp

MAX_PER_SHEET = 200  # more on one sheet and the markers get too small to read
MIN_CELL = 15 * mm  # the overview's cells stay big enough for their label
BY = ("grid", "municipality")


def municipality_code(shelter):
    """The 5-digit municipality code of a shelter: digits 2–6 of its 共通ID (E + code + …), or ''."""
    ref = shelter.get("kyotsu_id") or shelter.get("ref") or ""
    return ref[1:6] if len(ref) >= 6 and ref[0] == "E" and ref[1:6].isdigit() else ""


def _frame(c):
    W, H = c.width, c.height
    return 16 * mm, 34 * mm, W - 32 * mm, H - 34 * mm - 30 * mm


def _sheet_grid(points, frame, limit, largest_cols):
    """(cols, rows) of the overview's sheet grid: the fewest cells such that no cell holds more than
    `limit` shelters, with cells at least MIN_CELL wide."""
    fx, fy, fw, fh = frame
    for cols in range(2, largest_cols + 1):
        side = fw / cols
        rows = max(1, min(len(ROW_LETTERS), math.ceil(fh / side)))
        counts = {}
        for x, y in points:
            key = _grid_ref(x, y, frame, cols, rows)
            counts[key] = counts.get(key, 0) + 1
        if max(counts.values(), default=0) <= limit:
            return cols, rows
    side = fw / largest_cols
    return largest_cols, max(1, min(len(ROW_LETTERS), math.ceil(fh / side)))


def _sheets(placed, frame, cols, rows, by):
    """[{label, shelters}] in reading order: non-empty grid cells, or municipalities by code."""
    groups = {}
    for s in placed:
        key = (s["row"], s["col"]) if by == "grid" else (municipality_code(s) or "~")
        groups.setdefault(key, []).append(s)
    sheets = []
    for key in sorted(groups):
        if by == "grid":
            label = f"{ROW_LETTERS[key[0]]}{key[1] + 1}"
        else:
            label = key if key != "~" else "他"
        sheets.append({"key": key, "label": label, "shelters": groups[key]})
    return sheets


def _header(c, title, title_en, subtitle, printed_at, data_date):
    fit_text(c, f"{title}  {title_en}", 10 * mm, c.height - 13 * mm, c.width - 20 * mm, 16, min_size=9)
    fit_text(c, subtitle, 10 * mm, c.height - 19 * mm, c.width - 20 * mm, 10, min_size=6)
    c.text(10 * mm, c.height - 24 * mm,
           f"印刷 Printed {stamp(printed_at)}   データ Data as of {stamp(data_date) if data_date else '—'}", 8)


def _map_frame(c, frame, layers, project):
    fx, fy, fw, fh = frame
    c.saveState()
    clip = c.beginPath()
    clip.rect(fx, fy, fw, fh)
    c.clipPath(clip, stroke=0, fill=0)
    _draw_layers(c, layers, project)
    c.restoreState()


def _outline(c, frame):
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(1)
    c.rect(*frame, fill=0, stroke=1)
    c.restoreState()


def _overview(c, placed, sheets, frame, cols, rows, project, by, layers):
    """Every shelter as a dot; the sheet grid with each cell's label and the page of its sheet."""
    fx, fy, fw, fh = frame
    _map_frame(c, frame, layers, project)
    c.saveState()
    c.setFillColor(INK)
    dots = c.beginPath()
    for s in placed:
        dots.circle(s["x"], s["y"], 0.45 * mm)
    c.drawPath(dots, fill=1, stroke=0)
    c.restoreState()
    _draw_grid(c, frame, cols, rows)
    occupied = Occupied(10 * mm)
    if by == "grid":
        for sheet in sheets:
            row, col = sheet["key"]
            x0, y1 = fx + fw * col / cols, fy + fh - fh * row / rows
            label = f"{sheet['label']} → p.{sheet['page']}"
            c.saveState()
            c.setFillColor(colors.Color(1, 1, 1, alpha=0.8))
            w = c.width_of(label, 7) + 1.5 * mm
            c.rect(x0 + 0.6 * mm, y1 - 4.2 * mm, min(w, fw / cols - 1.2 * mm), 3.6 * mm, fill=1, stroke=0)
            c.restoreState()
            fit_text(c, label, x0 + 1.2 * mm, y1 - 3.3 * mm, fw / cols - 2.4 * mm, 7, min_size=4.5)
    else:
        for sheet in sheets:
            xs = [s["x"] for s in sheet["shelters"]]
            ys = [s["y"] for s in sheet["shelters"]]
            box = (min(xs) - 1 * mm, min(ys) - 1 * mm, max(xs) + 1 * mm, max(ys) + 1 * mm)
            c.saveState()
            c.setStrokeColor(colors.HexColor("#1f4e9c"))
            c.setLineWidth(0.6)
            c.setDash(3, 2)
            c.rect(box[0], box[1], box[2] - box[0], box[3] - box[1], fill=0, stroke=1)
            c.restoreState()
            label = f"{sheet['label']} → p.{sheet['page']}"
            w = c.width_of(label, 6.5)
            for lx, ly in ((box[0], box[3] + 0.8 * mm), (box[0], box[1] - 3 * mm), (box[2] + 0.8 * mm, box[3] - 2.5 * mm),
                           (box[0] - w - 0.8 * mm, box[3] - 2.5 * mm)):
                rect = (lx - 0.3, ly - 0.6 * mm, lx + w + 0.3, ly + 2.6 * mm)
                if rect[0] >= fx and rect[2] <= fx + fw and rect[1] >= fy and rect[3] <= fy + fh and occupied.free(rect):
                    occupied.add(rect)
                    c.text(lx, ly, label, 6.5, color=colors.HexColor("#1f4e9c"))
                    break
    _outline(c, frame)


def _sheet_bounds(sheet, overview, frame, cols, rows, by):
    """The Mercator rectangle a sheet shows: its grid cell, or its municipality's shelters."""
    if by == "grid":
        fx, fy, fw, fh = frame
        row, col = sheet["key"]
        x0, x1 = fx + fw * col / cols, fx + fw * (col + 1) / cols
        y0, y1 = fy + fh - fh * (row + 1) / rows, fy + fh - fh * row / rows
        a, b = overview.inverse(x0, y0), overview.inverse(x1, y1)
        return a[0], a[1], b[0], b[1]
    xs, ys = zip(*(geo.mercator(s["lon"], s["lat"]) for s in sheet["shelters"]))
    return min(xs), min(ys), max(xs), max(ys)


def _draw_sheet(c, sheet, bounds, frame, layers, size, title, title_en, printed_at, data_date, total_pages):
    project = Projection([], frame, pad=0.03, bounds=bounds)
    cols, rows = _grid_cols(frame, 30 * mm if size == "A4" else 38 * mm)
    local = number_shelters(sheet["shelters"], project, frame, cols, rows)
    font = _marker_font(c, local, frame, share=0.25, largest=9, smallest=5)
    numbers = [s["number"] for s in local]
    contiguous = numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # a municipality's are
    _header(c, title, title_en, f"図郭 Sheet {sheet['label']}（{len(local)}か所 shelters）"
                                + (f"  番号 No. {numbers[0]}–{numbers[-1]}" if contiguous else ""), printed_at, data_date)
    _map_frame(c, frame, layers, project)
    _draw_grid(c, frame, cols, rows)
    _outline(c, frame)
    occupied = _place_markers(c, local, frame, font * 0.55 * mm, font)
    _draw_markers(c, local, font)
    if len(local) <= 80:
        _draw_names(c, local, occupied, frame, 7)
    ratio, _ = _scale_bar(c, frame[0] + 2 * mm, 20 * mm, project, frame[2] * 0.25)
    _north_arrow(c, frame[0] + frame[2] * 0.42, 13 * mm, h=8 * mm)
    fit_text(c, "凡例は1ページ目 Legend on page 1; 番号の後の文字＝状態 the letter after a number tells the state",
             frame[0] + frame[2] * 0.5, 20 * mm, frame[2] * 0.5, 7, min_size=4.5, color=GREY)
    sheet["refs"] = {s["number"]: f"{sheet['label']}-{s['grid']}" for s in local}
    return ratio


def _grid_cols(frame, cell_target):
    fx, fy, fw, fh = frame
    cols = max(2, round(fw / cell_target))
    rows = max(2, min(len(ROW_LETTERS), round(fh / (fw / cols))))
    return cols, rows


def render_atlas(shelters, *, by="grid", layers=(), title="避難所マップ", title_en="Shelter map", size="A4",
                 qr_url="", printed_at=None, data_date=None, attribution=(DEFAULT_ATTRIBUTION,),
                 max_per_sheet=MAX_PER_SHEET, font_path=None):
    """The atlas as PDF bytes: overview (page 1), one sheet per grid cell or municipality, the index.

    shelters: as for map.render, with `number` (the public page's) and `kyotsu_id` or `ref` (共通ID)
    for by="municipality"."""
    if by not in BY:
        raise ValueError(f"atlas sheets are by {' or '.join(BY)}, not {by!r}")
    shelters = [s for s in shelters if s.get("lat") is not None and s.get("lon") is not None]
    c = Canvas(size, False, font_path=font_path, title=f"{title} {title_en}（地図帳 atlas）")
    W, H = c.width, c.height
    frame = (16 * mm, 80 * mm, W - 32 * mm, H - 80 * mm - 34 * mm)
    extent = [(s["lon"], s["lat"]) for s in shelters]
    for layer in layers:
        if layer.get("kind") == "boundary":
            b = geo.bounds(layer)
            if b:
                extent += [(b[0], b[1]), (b[2], b[3])]
    overview = Projection(extent, frame, pad=0.03)
    points = [overview(s["lon"], s["lat"]) for s in shelters]
    cols, rows = _sheet_grid(points, frame, max_per_sheet, max(2, int(frame[2] // MIN_CELL)))
    placed = number_shelters(shelters, overview, frame, cols, rows)
    sheets = _sheets(placed, frame, cols, rows, by)
    index_rows = max(1, int((H - 34 * mm - 8 * mm) // (7 * 1.45)))
    index_pages = max(1, math.ceil(len(placed) / (index_rows * 3)))
    total = 1 + len(sheets) + index_pages
    for page, sheet in enumerate(sheets, 2):
        sheet["page"] = page
    attributions = list(attribution) + [layer["attribution"] for layer in layers if layer.get("attribution")]
    footer_text = "　".join(dict.fromkeys(attributions))
    page = 1

    def foot():
        fit_text(c, footer_text, 10 * mm, 10 * mm, W - 20 * mm, 7, min_size=5, color=GREY)
        footer(c, printed_at, left=f"{title} {title_en}（地図帳 atlas）", page=f"p.{page}/{total}")

    # page 1: the overview
    subtitle = (f"全体図と図郭（{len(sheets)}枚、{'格子' if by == 'grid' else '市町村'}ごと） Overview: "
                f"{len(placed):,} shelters on {len(sheets)} sheets, one per {'grid cell' if by == 'grid' else 'municipality'}")
    _header(c, title, title_en, subtitle, printed_at, data_date)
    _overview(c, placed, sheets, frame, cols, rows, overview, by, layers)
    _scale_bar(c, frame[0] + frame[2] - 50 * mm, frame[1] - 12 * mm, overview, 40 * mm)
    _north_arrow(c, frame[0] + frame[2] - 4 * mm, frame[1] - 26 * mm, h=10 * mm)
    _draw_legend(c, 10 * mm, frame[1] - 6 * mm, W * 0.55, False)
    if qr_url:
        qr_size = 24 * mm
        qx, qy = W - 10 * mm - qr_size, 22 * mm
        qr(c, qr_url, qx, qy, qr_size, level="M")
        fit_text(c, f"最新の状況 Live status  {qr_url}", qx + qr_size, qy - 4 * mm, 60 * mm, 7, min_size=4.5,
                 anchor="right")
    foot()

    # one sheet per cell or municipality
    sheet_frame = (16 * mm, 34 * mm, W - 32 * mm, H - 34 * mm - 34 * mm)
    refs = {}
    for sheet in sheets:
        c.showPage()
        page = sheet["page"]
        bounds = _sheet_bounds(sheet, overview, frame, cols, rows, by)
        _draw_sheet(c, sheet, bounds, sheet_frame, layers, size, title, title_en, printed_at, data_date, total)
        refs.update(sheet["refs"])
        foot()

    # the index, continuing over as many pages as it needs
    entries = [dict(s, sheet_grid=refs.get(s["number"], s["grid"])) for s in placed]
    remaining = entries
    while remaining:
        c.showPage()
        page += 1
        fit_text(c, f"{title}  避難所一覧 Index（番号・図郭-枠・名称・定員 No., sheet-grid, name, capacity）",
                 10 * mm, H - 14 * mm, W - 20 * mm, 12, min_size=7)
        remaining = _draw_index(c, remaining, (10 * mm, 16 * mm, W - 20 * mm, H - 34 * mm), 7, columns=3)
        foot()
    return c.pdf_bytes()
