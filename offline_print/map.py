"""The city paper map (紙マップ): numbered shelters on a grid, legend, scale, north arrow, index, QR."""
import math
from collections import defaultdict

from reportlab.lib import colors
from reportlab.lib.units import mm

from . import geo
from .pdf import GREY, INK, LEVELS, STATES, Canvas, fit_text, footer, qr, stamp

DEFAULT_ATTRIBUTION = "出典：国土地理院 指定緊急避難場所・指定避難所データ"
HAZARD_MARKS = {  # one character per hazard, explained in the legend
    "flood": ("洪", "洪水 Flood"),
    "landslide": ("崖", "土砂災害 Landslide"),
    "storm_surge": ("高", "高潮 Storm surge"),
    "earthquake": ("震", "地震 Earthquake"),
    "tsunami": ("津", "津波 Tsunami"),
    "fire": ("火", "大規模な火事 Fire"),
    "inland_flood": ("内", "内水氾濫 Inland flood"),
    "volcano": ("山", "火山 Volcano"),
}
UNKNOWN_LEVEL = ("確認中", "Unknown", colors.white)
# Black-and-white copies lose the colours, so a marker also tells its state by its SHAPE and a
# LETTER printed after the number; the legend says so.
LEVEL_TAGS = {"vacant": "空", "some": "や", "crowded": "混", "full": "満", None: "確"}
STATE_TAGS = {"standby": "未", "opening": "準", "closing": "止", "closed": "閉"}
STATE_SHAPES = {  # shape, dashed border
    "open": ("pill", False),
    "opening": ("octagon", True),
    "standby": ("rect", True),
    "closing": ("octagon", False),
    "closed": ("rect", False),
}
LAYER_STYLE = {  # stroke, width, fill
    "boundary": (colors.HexColor("#7a7a7a"), 0.8, colors.HexColor("#f6f3e8")),
    "coast": (colors.HexColor("#3a7bbf"), 1.2, None),
    "roads": (colors.HexColor("#b5b5b5"), 0.5, None),
}
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0


def marker_colour(shelter):
    """The fill of a shelter's marker: its level when open, else its state."""
    state = shelter.get("state") or "standby"
    if state == "open":
        return LEVELS.get(shelter.get("level"), UNKNOWN_LEVEL)
    return STATES.get(state, STATES["standby"])


def marker_style(shelter):
    """(fill, shape, dashed, letter) of a shelter's marker: colour for the eye, shape and letter for
    a black-and-white copy (the letter is the level when open, else the state)."""
    state = shelter.get("state") if shelter.get("state") in STATE_SHAPES else "standby"
    shape, dashed = STATE_SHAPES[state]
    level = shelter.get("level") if shelter.get("level") in LEVEL_TAGS else None
    tag = LEVEL_TAGS[level] if state == "open" else STATE_TAGS[state]
    return marker_colour(shelter)[2], shape, dashed, tag


def _shape_path(c, shape, x, y, w, h):
    """The outline of a marker of `shape` centred on (x, y)."""
    path = c.beginPath()
    if shape == "pill":
        path.roundRect(x - w / 2, y - h / 2, w, h, h / 2)
    elif shape == "octagon":
        k = h * 0.3
        x0, y0, x1, y1 = x - w / 2, y - h / 2, x + w / 2, y + h / 2
        path.moveTo(x0 + k, y0)
        for px, py in ((x1 - k, y0), (x1, y0 + k), (x1, y1 - k), (x1 - k, y1), (x0 + k, y1), (x0, y1 - k),
                       (x0, y0 + k)):
            path.lineTo(px, py)
        path.close()
    else:
        path.rect(x - w / 2, y - h / 2, w, h)
    return path


def draw_marker(c, x, y, w, h, style, *, line=0.6):
    fill, shape, dashed, _ = style
    c.saveState()
    c.setFillColor(fill)
    c.setStrokeColor(INK)
    c.setLineWidth(line * (1.8 if shape == "rect" and not dashed else 1))
    if dashed:
        c.setDash(max(0.6, h * 0.18), max(0.5, h * 0.12))
    c.drawPath(_shape_path(c, shape, x, y, w, h), fill=1, stroke=1)
    c.restoreState()


def _text_colour(fill):
    r, g, b = fill.red, fill.green, fill.blue
    return INK if (0.299 * r + 0.587 * g + 0.114 * b) > 0.6 else colors.white


def _round_length(metres):
    """The largest 1, 2 or 5 × 10^k not above `metres`."""
    power = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * power <= metres:
            return step * power
    return power


def _round_ratio(n):
    """1:N rounded to two significant figures."""
    power = 10 ** max(0, math.floor(math.log10(n)) - 1)
    return int(round(n / power) * power)


class Projection:
    """Web Mercator fitted to a frame (x, y, w, h in points), keeping north up and the aspect."""

    def __init__(self, points, frame, pad=0.06, *, bounds=None):
        if bounds is None:
            xs, ys = zip(*(geo.mercator(lon, lat) for lon, lat in points)) if points else ((0.0,), (0.0,))
            bounds = (min(xs), min(ys), max(xs), max(ys))
        x0, y0, x1, y1 = bounds
        span = max(x1 - x0, y1 - y0, 0.0006)  # one shelter alone still gets a few km of map
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = max(x1 - x0, span * 0.2), max(y1 - y0, span * 0.2)
        dx, dy = dx * (1 + 2 * pad), dy * (1 + 2 * pad)
        fx, fy, fw, fh = frame
        self.k = min(fw / dx, fh / dy)
        self.cx, self.cy = cx, cy
        self.ox, self.oy = fx + fw / 2, fy + fh / 2
        self.centre_lat = math.degrees(2 * math.atan(math.exp(cy)) - math.pi / 2)

    def inverse(self, x, y):
        """Mercator (x, y) of a point on the page."""
        return self.cx + (x - self.ox) / self.k, self.cy + (y - self.oy) / self.k

    def __call__(self, lon, lat):
        x, y = geo.mercator(lon, lat)
        return self.ox + (x - self.cx) * self.k, self.oy + (y - self.cy) * self.k

    def metres_per_point(self):
        return geo.EARTH_RADIUS * math.cos(math.radians(self.centre_lat)) / self.k

    def ratio(self):
        """N of the scale 1:N at the centre of the map."""
        return self.metres_per_point() / (0.0254 / 72)


class Occupied:
    """Rectangles already drawn (marker numbers, labels), in a spatial hash, so nothing hides a number."""

    def __init__(self, cell):
        self.cell = cell
        self.grid = defaultdict(list)

    def _cells(self, r):
        x0, y0, x1, y1 = r
        c = self.cell
        for i in range(int(x0 // c), int(x1 // c) + 1):
            for j in range(int(y0 // c), int(y1 // c) + 1):
                yield i, j

    def free(self, r):
        x0, y0, x1, y1 = r
        for key in self._cells(r):
            for a0, b0, a1, b1 in self.grid[key]:
                if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
                    return False
        return True

    def add(self, r):
        for key in self._cells(r):
            self.grid[key].append(r)


def _layout(c, landscape, count):
    """Frame of the map and the boxes around it, for the page size and orientation."""
    W, H = c.width, c.height
    top = H - 24 * mm
    if landscape:
        panel = max(80 * mm, W * 0.3)
        frame = (16 * mm, 30 * mm, W - panel - 26 * mm, top - 36 * mm)
        side_x = W - panel - 1 * mm
        info = (side_x, frame[1], panel - 9 * mm, frame[3])
        return {"frame": frame, "info": info, "index": None, "side": True}
    if count > 150:  # the map takes the first page; the index follows on the next ones
        frame_h = H - 24 * mm - 6 * mm - 10 * mm - 50 * mm - 20 * mm
    elif count <= 45:  # the whole index fits under the map
        index_h = math.ceil(count / 3) * 8 * 1.45 + 10 * mm
        frame_h = H - 24 * mm - 6 * mm - 10 * mm - 50 * mm - 16 * mm - 14 * mm - index_h
    else:
        frame_h = (H - 24 * mm) * 0.52
    frame = (16 * mm, top - 6 * mm - frame_h, W - 26 * mm, frame_h)
    info = (10 * mm, frame[1] - 10 * mm - 50 * mm, W - 20 * mm, 50 * mm)
    index = (10 * mm, 14 * mm, W - 20 * mm, info[1] - 16 * mm)
    return {"frame": frame, "info": info, "index": index, "side": False}


def _grid(frame, cell_target):
    fx, fy, fw, fh = frame
    cols = max(2, round(fw / cell_target))
    rows = max(2, min(len(ROW_LETTERS), round(fh / (fw / cols))))
    return cols, rows


def _grid_ref(x, y, frame, cols, rows):
    fx, fy, fw, fh = frame
    col = min(cols - 1, max(0, int((x - fx) / (fw / cols))))
    row = min(rows - 1, max(0, int((fy + fh - y) / (fh / rows))))
    return row, col


def number_shelters(shelters, project, frame, cols, rows):
    """Place each shelter on the page and its grid square. The numbers are the caller's (`number`, the
    public page's numbering: shelter_ops.domain.numbering); shelters without one are numbered after
    them in the order given. Returned sorted by number, as the index lists them."""
    placed = []
    given = [s["number"] for s in shelters if s.get("number") is not None]
    next_number = max(given, default=0) + 1
    for shelter in shelters:
        x, y = project(shelter["lon"], shelter["lat"])
        row, col = _grid_ref(x, y, frame, cols, rows)
        number = shelter.get("number")
        if number is None:
            number, next_number = next_number, next_number + 1
        placed.append({**shelter, "x": x, "y": y, "row": row, "col": col, "grid": f"{ROW_LETTERS[row]}{col + 1}",
                       "number": number})
    placed.sort(key=lambda s: s["number"])
    return placed


def _draw_layers(c, layers, project):
    for kind in ("boundary", "coast", "roads"):
        stroke, width, fill = LAYER_STYLE[kind]
        for layer in layers:
            if layer.get("kind") != kind:
                continue
            for geometry in layer["geometries"]:
                path = c.beginPath()
                closed_any = False
                for closed, ring in geo.rings(geometry):
                    if len(ring) < 2:
                        continue
                    x, y = project(ring[0][0], ring[0][1])
                    path.moveTo(x, y)
                    for lon, lat, *_ in ring[1:]:
                        path.lineTo(*project(lon, lat))
                    if closed:
                        path.close()
                        closed_any = True
                c.saveState()
                c.setStrokeColor(stroke)
                c.setLineWidth(width)
                if closed_any and fill is not None:
                    c.setFillColor(fill)
                    c.drawPath(path, stroke=1, fill=1, fillMode=0)  # even-odd: holes stay holes
                else:
                    c.drawPath(path, stroke=1, fill=0)
                c.restoreState()


def _draw_grid(c, frame, cols, rows):
    fx, fy, fw, fh = frame
    c.saveState()
    c.setStrokeColor(colors.HexColor("#8c8c8c"))
    c.setLineWidth(0.4)
    c.setDash(2, 2)
    for i in range(1, cols):
        x = fx + fw * i / cols
        c.line(x, fy, x, fy + fh)
    for j in range(1, rows):
        y = fy + fh * j / rows
        c.line(fx, y, fx + fw, y)
    c.restoreState()
    for i in range(cols):
        x = fx + fw * (i + 0.5) / cols
        c.text(x, fy + fh + 1.5 * mm, str(i + 1), 10, anchor="center")
        c.text(x, fy - 4.5 * mm, str(i + 1), 10, anchor="center")
    for j in range(rows):
        y = fy + fh - fh * (j + 0.5) / rows - 1.3 * mm
        c.text(fx - 3.5 * mm, y, ROW_LETTERS[j], 10, anchor="center")
        c.text(fx + fw + 3.5 * mm, y, ROW_LETTERS[j], 10, anchor="center")


def _draw_sites(c, sites, project, occupied, with_marks):
    size = 2.2 * mm
    for site in sites:
        x, y = project(site["lon"], site["lat"])
        c.saveState()
        c.setFillColor(colors.white)
        c.setStrokeColor(colors.HexColor("#1f4e9c"))
        c.setLineWidth(0.9)
        path = c.beginPath()
        path.moveTo(x, y + size)
        path.lineTo(x - size, y - size * 0.75)
        path.lineTo(x + size, y - size * 0.75)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
        c.restoreState()
        marks = "".join(HAZARD_MARKS[h][0] for h in site.get("hazards") or () if h in HAZARD_MARKS)
        if with_marks and marks:
            w = c.width_of(marks, 6)
            rect = (x + size, y - 1 * mm, x + size + w, y + 1.5 * mm)
            if occupied.free(rect):
                c.text(x + size + 0.3 * mm, y - 0.8 * mm, marks, 6, color=colors.HexColor("#1f4e9c"))
                occupied.add(rect)


def _marker_width(c, number, font_size, tag="満"):
    """Number, then the state letter: the width of the marker around both."""
    return max(font_size * 0.55 * mm, c.width_of(f"{number}{tag}", font_size) + 1.6 * mm)


def _marker_font(c, placed, frame, *, share=0.4, largest=10, smallest=4):
    """The largest marker type (points) at which all markers together cover at most `share` of the frame,
    so that every marker finds a free place near its shelter."""
    area = frame[2] * frame[3] * share
    widest = max((len(str(s["number"])) for s in placed), default=1)
    size = largest
    while size > smallest:
        total = len(placed) * _marker_width(c, "8" * widest, size) * size * 0.55 * mm
        if total <= area:
            break
        size -= 0.5
    return size


class _FreeSlots:
    """Free slots of a cols × rows lattice: per row, union-find links to the nearest free slot on the
    right and on the left, so finding it costs near O(1) however crowded the row is."""

    def __init__(self, cols, rows):
        self.cols = cols
        self.right = [list(range(cols + 1)) for _ in range(rows)]  # index cols = none left
        self.left = [list(range(cols)) for _ in range(rows)]  # -1 = none
        self.looks = 0

    @staticmethod
    def _find(parent, i):
        """The free slot `parent` leads to from i (len(parent) or -1 past the row's end)."""
        n = len(parent)
        root = i
        while 0 <= root < n and parent[root] != root:
            root = parent[root]
        while i != root and 0 <= i < n:  # path compression
            parent[i], i = root, parent[i]
        return root

    def nearest_in_row(self, j, i):
        """(left, right) free columns of row j nearest column i (None where there is none)."""
        self.looks += 1
        r = self._find(self.right[j], i)
        l = self._find(self.left[j], i)
        return (l if l >= 0 else None), (r if r < self.cols else None)

    def take(self, i, j):
        self.right[j][i] = i + 1
        self.left[j][i] = i - 1


def _place_markers(c, placed, frame, size, font_size):
    """Where each numbered marker goes: in the free slot nearest its shelter, moved aside with a leader
    line when crowded.

    The frame is cut into slots of one marker (the widest number); a marker takes the nearest free
    slot. Rows are searched outwards from the marker's own and each row answers its nearest free
    slot through union-find links, so a marker costs one look per row crossed: O(n·√k) when k
    markers crowd one town, near-linear in practice (the spiral search it replaces tried every
    position of every ring for each marker: 12-20 s for a prefecture's 1,538 shelters)."""
    fx, fy, fw, fh = frame
    widest = max((len(str(s["number"])) for s in placed), default=1)
    sw, sh = _marker_width(c, "8" * widest, font_size), size
    cols, rows = max(1, int(fw // sw)), max(1, int(fh // sh))
    ox, oy = fx + (fw - cols * sw) / 2, fy + (fh - rows * sh) / 2
    free = _FreeSlots(cols, rows)
    taken = 0
    occupied = Occupied(size * 2)
    for shelter in placed:
        x, y = shelter["x"], shelter["y"]
        home = (min(cols - 1, max(0, int((x - ox) // sw))), min(rows - 1, max(0, int((y - oy) // sh))))
        spot, best = None, None
        if free.right[home[1]][home[0]] == home[0]:  # its own slot is free: the usual case
            spot = home
        elif taken < cols * rows:
            for dj in range(rows):
                if best is not None and dj > 0 and ((dj - 0.5) * sh) ** 2 >= best:
                    break
                for j in ((home[1],) if dj == 0 else (home[1] - dj, home[1] + dj)):
                    if not 0 <= j < rows:
                        continue
                    dy2 = (oy + (j + 0.5) * sh - y) ** 2
                    for i in free.nearest_in_row(j, home[0]):
                        if i is None:
                            continue
                        d = (ox + (i + 0.5) * sw - x) ** 2 + dy2
                        if best is None or d < best:
                            spot, best = (i, j), d
        w = _marker_width(c, shelter["number"], font_size)
        if spot is None:  # a full map: overlap rather than drop a shelter
            cx, cy, moved = x, y, False
        else:
            free.take(*spot)
            taken += 1
            x0 = ox + spot[0] * sw
            cy = oy + (spot[1] + 0.5) * sh
            moved = spot != home
            # in its own slot the marker stays as near its point as the slot allows (not "moved")
            cx = x0 + sw / 2 if moved else min(max(x, x0 + w / 2), x0 + sw - w / 2)
        occupied.add((cx - w / 2, cy - sh / 2, cx + w / 2, cy + sh / 2))
        shelter.update(mx=cx, my=cy, mw=w, mh=sh, moved=moved)
    occupied.looks = free.looks
    return occupied


def _draw_markers(c, placed, font_size):
    # leader lines first, so markers sit on top of them: all in one path, the dots in another
    moved = [s for s in placed if s.get("moved")]
    if moved:
        lines, dots = c.beginPath(), c.beginPath()
        for s in moved:
            lines.moveTo(s["x"], s["y"])
            lines.lineTo(s["mx"], s["my"])
            dots.rect(s["x"] - 0.4 * mm, s["y"] - 0.4 * mm, 0.8 * mm, 0.8 * mm)  # 4 numbers, not a circle's 26
        c.saveState()
        c.setStrokeColor(INK)
        c.setFillColor(INK)
        c.setLineWidth(0.4)
        c.drawPath(lines, stroke=1, fill=0)
        c.drawPath(dots, stroke=0, fill=1)
        c.restoreState()
    for s in placed:
        style = marker_style(s)
        draw_marker(c, s["mx"], s["my"], s["mw"], s["mh"], style)
        label = f"{s['number']}{style[3]}"
        c.text(s["mx"], s["my"] - font_size * 0.36, label, font_size, color=_text_colour(style[0]), anchor="center")


def _capacity_text(s):
    if s.get("capacity") is None:
        return ""
    return f"{s['capacity']}人"


def _draw_names(c, placed, occupied, frame, size):
    fx, fy, fw, fh = frame
    for s in placed:
        text = s.get("name") or ""
        cap = _capacity_text(s)
        if cap:
            text += f"（{cap}）"
        tw = c.width_of(text, size)
        w, h = s["mw"], s["mh"]
        above, below = h / 2 + size * 0.2 + 0.6, -h / 2 - size * 0.85 - 0.6  # baselines clear of the marker
        for dx, dy in ((w / 2 + 1, -size * 0.35), (-w / 2 - 1 - tw, -size * 0.35), (-tw / 2, above),
                       (-tw / 2, below), (w / 2, above), (-w / 2 - tw, above), (w / 2, below), (-w / 2 - tw, below)):
            x, y = s["mx"] + dx, s["my"] + dy
            rect = (x - 0.5, y - size * 0.2, x + tw + 0.5, y + size * 0.85)
            if rect[0] < fx or rect[2] > fx + fw or rect[1] < fy or rect[3] > fy + fh:
                continue
            if occupied.free(rect):
                occupied.add(rect)
                c.saveState()
                c.setFillColor(colors.Color(1, 1, 1, alpha=0.75))
                c.rect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1], fill=1, stroke=0)
                c.restoreState()
                c.text(x, y, text, size)
                break


def _scale_bar(c, x, y, project, max_width):
    metres = _round_length(project.metres_per_point() * max_width)
    length = metres / project.metres_per_point()
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    for i in range(4):
        c.saveState()
        c.setFillColor(INK if i % 2 == 0 else colors.white)
        c.setStrokeColor(INK)
        c.setLineWidth(0.6)
        c.rect(x + length * i / 4, y, length / 4, 2 * mm, fill=1, stroke=1)
        c.restoreState()
    c.text(x, y + 3 * mm, "0", 8, anchor="center")
    c.text(x + length, y + 3 * mm, label, 8, anchor="center")
    ratio = _round_ratio(project.ratio())
    c.text(x, y - 5 * mm, f"縮尺 Scale 1:{ratio:,}", 9)
    return ratio, metres


def _north_arrow(c, x, y, h=12 * mm):
    c.saveState()
    c.setFillColor(INK)
    path = c.beginPath()
    path.moveTo(x, y + h)
    path.lineTo(x - h * 0.3, y)
    path.lineTo(x, y + h * 0.3)
    path.close()
    c.drawPath(path, fill=1, stroke=0)
    c.setStrokeColor(INK)
    path = c.beginPath()
    path.moveTo(x, y + h)
    path.lineTo(x + h * 0.3, y)
    path.lineTo(x, y + h * 0.3)
    path.close()
    c.drawPath(path, fill=0, stroke=1)
    c.restoreState()
    c.text(x, y + h + 1.5 * mm, "N 北", 9, anchor="center")


def _legend_entries(with_sites):
    """(sample shelter, label) for each kind of marker: open at each level, then each other state."""
    entries = [({"state": "open", "level": k}, f"{LEVEL_TAGS[k]} {LEVELS[k][0]} {LEVELS[k][1]}")
               for k in ("vacant", "some", "crowded", "full")]
    entries.append(({"state": "open", "level": None}, f"{LEVEL_TAGS[None]} 開設・混雑確認中 Open, level unknown"))
    entries += [({"state": k}, f"{STATE_TAGS[k]} {STATES[k][0]} {STATES[k][1]}")
                for k in ("opening", "standby", "closing", "closed")]
    return entries


LEGEND_NOTE = ("形と文字でも区別：○＝開設（文字は混雑度）、八角形＝開設準備（破線）・閉鎖準備、四角＝未開設（破線）・閉鎖 "
               "Shape and letter tell the state without colour: round = open (letter = level), "
               "octagon = opening (dashed) / closing, square = not opened (dashed) / closed")


def _draw_legend(c, x, y_top, width, with_sites):
    c.text(x, y_top - 4 * mm, "凡例 Legend", 9)
    y = y_top - 8.5 * mm
    entries = _legend_entries(with_sites)
    col_w = width / 2
    for i, (sample, label) in enumerate(entries):
        cx = x + (i % 2) * col_w
        cy = y - (i // 2) * 4.2 * mm
        style = marker_style(sample)
        draw_marker(c, cx + 3 * mm, cy + 0.9 * mm, 6 * mm, 3.2 * mm, style, line=0.5)
        c.text(cx + 3 * mm, cy - 0.1 * mm, style[3], 6.5, color=_text_colour(style[0]), anchor="center")
        fit_text(c, label, cx + 7 * mm, cy, col_w - 8 * mm, 7, min_size=4.5)
    y = y - ((len(entries) + 1) // 2) * 4.2 * mm
    y = _note(c, LEGEND_NOTE, x, y, width)
    if with_sites:
        c.saveState()
        c.setStrokeColor(colors.HexColor("#1f4e9c"))
        c.setFillColor(colors.white)
        path = c.beginPath()
        path.moveTo(x + 2.5 * mm, y + 2.4 * mm)
        path.lineTo(x + 0.3 * mm, y - 0.8 * mm)
        path.lineTo(x + 4.7 * mm, y - 0.8 * mm)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
        c.restoreState()
        fit_text(c, "指定緊急避難場所 Emergency evacuation site（対応する災害 hazards）", x + 6 * mm, y, width - 7 * mm, 7,
                 min_size=4.5)
        y -= 4.2 * mm
        fit_text(c, " ".join(f"{m}={label.split()[0]}" for m, label in HAZARD_MARKS.values()),
                 x + 6 * mm, y, width - 7 * mm, 7, min_size=4.5)
        y -= 4.2 * mm
    fit_text(c, "番号は公開ページと同じ番号、A1〜は地図の枠の記号 Numbers as on the public page; A1… is the grid square",
             x, y, width, 7, min_size=4.5, color=GREY)
    return y


def _note(c, text, x, y, width, size=6.5):
    """A note wrapped over as many lines as it needs (at most 3); returns the y under it."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("n", fontName=c.font.name, fontSize=size, leading=size * 1.3, wordWrap="CJK",
                           textColor=GREY)
    para = Paragraph(text, style)
    _, h = para.wrap(width, 1000)
    para.drawOn(c, x, y + size - h + 0.6)
    return y - h - 1.2 * mm


def _index_row(c, s, x, y, width, size, grid_w=7 * mm):
    style = marker_style(s)
    draw_marker(c, x + 5 * mm, y + size * 0.3, 10 * mm, size * 1.15, style, line=0.4)
    c.text(x + 5 * mm, y, f"{s['number']}{style[3]}", size, color=_text_colour(style[0]), anchor="center")
    grid = s.get("sheet_grid") or s["grid"]
    c.text(x + 11 * mm, y, grid, size)
    name_x = x + 11 * mm + grid_w
    cap = _capacity_text(s)
    cap_w = c.width_of("0000人", size) if cap else 0
    name = s.get("name") or ""
    fit_text(c, name, name_x, y, x + width - name_x - cap_w - 1 * mm, size, min_size=size * 0.7)
    if cap:
        c.text(x + width - 1 * mm, y, cap, size, anchor="right")


def _draw_index(c, entries, box, size, *, columns):
    """Fill `box` with index rows in columns; return the entries that did not fit."""
    x, y, w, h = box
    fit_text(c, "避難所一覧 Shelters（番号・地図の枠・名称・定員 No., grid, name, capacity）", x, y + h - 4 * mm, w, 9,
             min_size=6)
    row_h = size * 1.45
    rows = max(1, int((h - 8 * mm) // row_h))
    col_w = w / columns
    grid_w = max([7 * mm] + [c.width_of(e.get("sheet_grid") or e["grid"], size) + 1.5 * mm
                             for e in entries[:rows * columns]])
    i = 0
    for col in range(columns):
        for row in range(rows):
            if i >= len(entries):
                return []
            _index_row(c, entries[i], x + col * col_w, y + h - 8 * mm - (row + 1) * row_h + 1.5, col_w - 2 * mm,
                       size, grid_w)
            i += 1
    return entries[i:]


def render(shelters, *, sites=(), layers=(), title="避難所マップ", title_en="Shelter map", size="A4",
           landscape=False, qr_url="", printed_at=None, data_date=None, attribution=(DEFAULT_ATTRIBUTION,),
           show_sites=True, font_path=None):
    """The paper map as PDF bytes.

    shelters: [{name, lat, lon, state, level?, capacity?}] (public facts only); sites: [{name, lat, lon,
    hazards: [key]}]; layers: [{kind: boundary|coast|roads, geometries: [GeoJSON geometry]}].
    """
    shelters = [s for s in shelters if s.get("lat") is not None and s.get("lon") is not None]
    sites = [s for s in sites if s.get("lat") is not None and s.get("lon") is not None] if show_sites else []
    c = Canvas(size, landscape, font_path=font_path, title=f"{title} {title_en}")
    box = _layout(c, landscape, len(shelters))
    frame = box["frame"]
    extent = [(s["lon"], s["lat"]) for s in shelters] + [(s["lon"], s["lat"]) for s in sites]
    for layer in layers:
        if layer.get("kind") == "boundary":
            b = geo.bounds(layer)
            if b:
                extent += [(b[0], b[1]), (b[2], b[3])]
    project = Projection(extent, frame)
    cols, rows = _grid(frame, 32 * mm if size == "A4" else 40 * mm)
    placed = number_shelters(shelters, project, frame, cols, rows)
    marker_font = _marker_font(c, placed, frame)
    marker_h = marker_font * 0.55 * mm

    # header
    fit_text(c, f"{title}  {title_en}", 10 * mm, c.height - 14 * mm, c.width - 20 * mm, 18, min_size=10)
    c.text(10 * mm, c.height - 20 * mm,
           f"印刷 Printed {stamp(printed_at)}   データ Data as of {stamp(data_date) if data_date else '—'}", 9)

    # the map, clipped to its frame
    fx, fy, fw, fh = frame
    c.saveState()
    clip = c.beginPath()
    clip.rect(fx, fy, fw, fh)
    c.clipPath(clip, stroke=0, fill=0)
    _draw_layers(c, layers, project)
    c.restoreState()
    _draw_grid(c, frame, cols, rows)
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(1)
    c.rect(fx, fy, fw, fh, fill=0, stroke=1)
    c.restoreState()
    occupied = _place_markers(c, placed, frame, marker_h, marker_font)
    _draw_sites(c, sites, project, occupied, with_marks=len(sites) <= 150)
    _draw_markers(c, placed, marker_font)
    if len(placed) <= 80:
        _draw_names(c, placed, occupied, frame, 8)

    # legend, scale, north arrow, QR
    ix, iy, iw, ih = box["info"]
    qr_size = 26 * mm
    if box["side"]:
        legend_bottom = _draw_legend(c, ix, iy + ih, iw, bool(sites))
        _north_arrow(c, ix + iw - 6 * mm, legend_bottom - 18 * mm)
        _scale_bar(c, ix + 2 * mm, legend_bottom - 12 * mm, project, iw * 0.55)
        qr_y = legend_bottom - 22 * mm - qr_size
        index_box = (ix, 14 * mm, iw, qr_y - 12 * mm - 14 * mm)
        columns = 1
    else:
        _draw_legend(c, ix, iy + ih, iw * 0.5, bool(sites))
        _scale_bar(c, ix + iw * 0.52 + 2 * mm, iy + ih - 12 * mm, project, iw * 0.2)
        _north_arrow(c, ix + iw * 0.52 + iw * 0.2 + 16 * mm, iy + ih - 26 * mm)
        qr_y = iy + ih - qr_size - 2 * mm
        index_box = box["index"]
        columns = 3 if size == "A4" else 4
    qr_x = ix + iw - qr_size
    if qr_url:
        qr(c, qr_url, qr_x, qr_y, qr_size, level="M")
        c.text(qr_x + qr_size / 2, qr_y - 3.5 * mm, "最新の状況 Live status", 8, anchor="center")
        fit_text(c, qr_url, qr_x - 20 * mm, qr_y - 7 * mm, qr_size + 20 * mm, 7, min_size=4.5)
    attributions = list(attribution) + [a for layer in layers for a in ([layer["attribution"]]
                                                                      if layer.get("attribution") else [])]
    index_size = 8 if len(placed) <= 300 else 7
    remaining = _draw_index(c, placed, index_box, index_size, columns=columns) if index_box[3] > 20 * mm else placed
    page = 1
    pages = 1
    footer_text = "　".join(dict.fromkeys(attributions))

    def _foot():
        fit_text(c, footer_text, 10 * mm, 10 * mm, c.width - 20 * mm, 7, min_size=5, color=GREY)
        footer(c, printed_at, left=f"{title} {title_en}", page=f"p.{page}")

    _foot()
    while remaining:
        c.showPage()
        page += 1
        pages += 1
        fit_text(c, f"{title}（続き）  {title_en} (continued)", 10 * mm, c.height - 14 * mm, c.width - 20 * mm, 14)
        columns_more = (3 if size == "A4" else 4) + (1 if landscape else 0)
        remaining = _draw_index(c, remaining, (10 * mm, 14 * mm, c.width - 20 * mm, c.height - 34 * mm),
                                index_size, columns=columns_more)
        _foot()
    return c.pdf_bytes()
