"""Shared drawing: page sizes, a canvas that stamps every page, text that fits, QR codes, tick boxes."""
import io
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
    def text(self, x, y, text, size, *, color=INK, anchor="left"):
        self.setFillColor(color)
        self.setFont(self.font.name, size)
        if anchor == "center":
            self.drawCentredString(x, y, text)
        elif anchor == "right":
            self.drawRightString(x, y, text)
        else:
            self.drawString(x, y, text)

    def width_of(self, text, size):
        return stringWidth(text, self.font.name, size)


def fit_text(c, text, x, y, width, size, *, min_size=6, color=INK, anchor="left"):
    """Draw `text` on one line, shrinking it (down to min_size, then cutting with …) to fit `width`."""
    text = str(text)
    while size > min_size and stringWidth(text, c.font.name, size) > width:
        size -= 0.5
    if stringWidth(text, c.font.name, size) > width:
        while text and stringWidth(text + "…", c.font.name, size) > width:
            text = text[:-1]
        text += "…"
    Canvas.text(c, x, y, text, size, color=color, anchor=anchor)
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
