"""Shared drawing: page sizes, a canvas that stamps every page, text that fits, QR codes, tick boxes."""
import io
import re
from itertools import groupby
from datetime import datetime, timedelta, timezone

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.pagesizes import A3, A4, landscape as _landscape, portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph

from . import fonts

PAGE_SIZES = {"A4": A4, "A3": A3}
JST = timezone(timedelta(hours=9), "JST")  # the sheets are read in Japan, whatever the server's clock zone
MIN_QR = 20 * mm  # the smallest symbol a phone reads reliably from paper
QUIET_ZONE = 4  # modules of white around the symbol
INK = colors.HexColor("#111111")
GREY = colors.HexColor("#666666")
LIGHT = colors.HexColor("#dddddd")

# congestion levels (DOMAIN.md §5) and shelter states, with a colour that also prints legibly in grey
LEVELS = {
    "vacant": ("空いています", "Vacant", colors.HexColor("#1a9850")),
    "some": ("やや混雑", "Somewhat crowded", colors.HexColor("#f2c500")),
    "crowded": ("混雑", "Crowded", colors.HexColor("#f46d43")),
    "full": ("満", "Full", colors.HexColor("#b2182b")),
    "closed": ("利用停止中", "Not in use", colors.HexColor("#9e9e9e")),
}
STATES = {
    "standby": ("未開設", "Standby", colors.HexColor("#9e9e9e")),
    "opening": ("開設準備", "Opening", colors.HexColor("#74add1")),
    "open": ("開設", "Open", colors.HexColor("#1a9850")),
    "closing": ("閉鎖準備", "Closing", colors.HexColor("#8073ac")),
    "closed": ("閉鎖", "Closed", colors.HexColor("#616161")),
}


def page_size(size="A4", landscape=False):
    try:
        base = PAGE_SIZES[str(size).upper()]
    except KeyError:
        raise ValueError(f"paper size must be A4 or A3, not {size!r}") from None
    return _landscape(base) if landscape else portrait(base)


def stamp(value=None):
    """A time for print: 'YYYY-MM-DD HH:MM' in Japan time (ISO strings are converted)."""
    if value is None:
        value = datetime.now(JST)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(JST)
    return value.strftime("%Y-%m-%d %H:%M")


class Canvas(rl_canvas.Canvas):
    """A canvas with the Japanese font; every page gets the 'font not embedded' notice when it applies."""

    def __init__(self, size="A4", landscape=False, *, font_path=None, title="", **kwargs):
        self.buffer = io.BytesIO()
        self.size = page_size(size, landscape)
        self.font = fonts.load(font_path)
        # start in the Japanese font, so no unembedded Helvetica is left in the file
        super().__init__(self.buffer, pagesize=self.size, initialFontName=self.font.name, **kwargs)
        self.setTitle(title)
        self.setAuthor("shelter-ops")
        self.setCreator("shelter-ops offline_print")
        self.width, self.height = self.size

    def showPage(self):
        if not self.font.embedded:
            self._notice()
        super().showPage()

    def _notice(self):
        self.saveState()
        self.setFillColor(colors.HexColor("#fff3cd"))
        self.setStrokeColor(colors.HexColor("#b2182b"))
        self.rect(5 * mm, self.height - 11 * mm, self.width - 10 * mm, 8 * mm, fill=1, stroke=1)
        self.setFillColor(colors.HexColor("#b2182b"))
        fit_text(self, fonts.NOTICE, 7 * mm, self.height - 8.5 * mm, self.width - 14 * mm, 9, min_size=4)
        self.restoreState()

    def pdf_bytes(self):
        self.save()
        return self.buffer.getvalue()

    # text
    def text(self, x, y, text, size, *, color=INK, anchor="left", lang=None):
        """One line of text; each run in a font that has its characters (fonts.segments): Japanese in
        the Japanese font, Vietnamese, Hangul, Devanagari, Burmese, Chinese in theirs, all embedded."""
        self.setFillColor(color)
        runs = fonts.segments(text, self.font.name, lang) if text else []
        if len(runs) <= 1 and not (runs and runs[0][2]):  # one font, nothing to shape: the usual case
            self.setFont(self.font.name if not runs else runs[0][0], size)
            if anchor == "center":
                self.drawCentredString(x, y, text)
            elif anchor == "right":
                self.drawRightString(x, y, text)
            else:
                self.drawString(x, y, text)
            return
        width = sum(stringWidth(part, name, size) for name, part, _ in runs)
        x = x - width / 2 if anchor == "center" else x - width if anchor == "right" else x
        for name, part, shaped in runs:
            self.setFont(name, size)
            self.drawString(x, y, part, shaping=shaped)
            x += stringWidth(part, name, size)

    def width_of(self, text, size, lang=None):
        return sum(stringWidth(part, name, size) for name, part, _ in fonts.segments(text, self.font.name, lang)) \
            if text else 0.0


def fit_text(c, text, x, y, width, size, *, min_size=6, color=INK, anchor="left", lang=None):
    """Draw `text` on one line, shrinking it (down to min_size, then cutting with …) to fit `width`."""
    text = str(text)
    natural = c.width_of(text, 1, lang)  # widths scale with the size: measure once
    if natural * size > width and natural:
        size = max(min_size, min(size, int(width / natural * 2) / 2))
    if natural * size > width:
        while text and c.width_of(text + "…", size, lang) > width:
            text = text[:-1]
        text += "…"
    Canvas.text(c, x, y, text, size, color=color, anchor=anchor, lang=lang)
    return size


RUBY = re.compile(r"\[([^|\]]+)\|([^\]]+)\]")


def ruby_parts(marked):
    """[(base, reading or '')] of a text marked [漢字|かんじ] for furigana."""
    parts, at = [], 0
    for match in RUBY.finditer(marked):
        if match.start() > at:
            parts.append((marked[at:match.start()], ""))
        parts.append((match.group(1), match.group(2)))
        at = match.end()
    if at < len(marked):
        parts.append((marked[at:], ""))
    return parts


def ruby_text(c, x, y, marked, size, *, width=None, lang=None, color=INK):
    """One line with furigana: the reading in small kana centred over its kanji (やさしい日本語 in print)."""
    parts = ruby_parts(marked)
    plain = "".join(base for base, _ in parts)
    if width is not None:
        natural = c.width_of(plain, 1, lang)
        if natural * size > width and natural:
            size = max(4, int(width / natural * 4) / 4)
    for base, reading in parts:
        Canvas.text(c, x, y, base, size, color=color, lang=lang)
        w = c.width_of(base, size, lang)
        if reading:
            ruby = size * 0.5
            while ruby > 3 and c.width_of(reading, ruby) > w * 1.6:
                ruby -= 0.25
            Canvas.text(c, x + w / 2, y + size * 1.02, reading, ruby, color=color, anchor="center")
        x += w
    return size


def paragraph(c, text, x, y_top, width, size, *, leading=None, color=INK):
    """A wrapped paragraph (CJK line breaking) whose top is at y_top; returns the height used."""
    style = ParagraphStyle("p", fontName=c.font.name, fontSize=size, leading=leading or size * 1.35,
                           textColor=color, wordWrap="CJK")
    para = Paragraph(text, style)
    _, height = para.wrap(width, 10000)
    para.drawOn(c, x, y_top - height)
    return height


def qr(c, value, x, y, size, *, level="M"):
    """A QR code whose symbol (quiet zone of 4 modules included) fills a size×size square at (x, y).

    reportlab's QR encoder makes the matrix once; the dark modules go out as one path (drawing the
    widget itself encodes twice and builds a shape per run: 20× slower for 500 cards).
    """
    if size < MIN_QR:
        raise ValueError("a QR code on paper needs at least 20 mm")
    widget = QrCodeWidget(value, barLevel=level, barBorder=QUIET_ZONE)
    widget.qr.make()
    modules = widget.qr.modules
    module = size / (len(modules) + 2 * QUIET_ZONE)
    c.saveState()
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, fill=1, stroke=0)
    path = c.beginPath()
    for r, row in enumerate(modules):
        col = 0
        for dark, run in groupby(bool(m) for m in row):
            count = len(list(run))
            if dark:
                path.rect(x + (col + QUIET_ZONE) * module, y + size - (r + QUIET_ZONE + 1) * module,
                          count * module, module)
            col += count
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def box(c, x, y, size=4 * mm, *, ticked=False):
    """An empty tick box to mark by hand."""
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(0.8)
    c.rect(x, y, size, size, fill=0, stroke=1)
    c.restoreState()


def rule(c, x0, y0, x1, y1, *, width=0.5, color=INK, dash=None):
    c.saveState()
    c.setStrokeColor(color)
    c.setLineWidth(width)
    if dash:
        c.setDash(*dash)
    c.line(x0, y0, x1, y1)
    c.restoreState()


def footer(c, printed_at, *, left="", page=None):
    """Small print at the foot of a page: what, print time, page number."""
    c.text(10 * mm, 6 * mm, left, 7, color=GREY)
    right = f"印刷 Printed {stamp(printed_at)}" + (f"   {page}" if page else "")
    c.text(c.width - 10 * mm, 6 * mm, right, 7, color=GREY, anchor="right")
