"""The multilingual notice sheet: one ready-made notice, filled in, in every evacuee language on one page.

Each language is written with a TrueType font that has every character of its text (checked against
the font's character map, so the sheet never shows tofu); Devanagari and Burmese are shaped with
HarfBuzz (uharfbuzz) so their letters join as they should; やさしい日本語 prints its furigana above
the kanji. A language whose font is missing is left off and named in `Sheet.missing`.
"""
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from . import fonts as japanese_fonts

TRUETYPE = "/usr/share/fonts/truetype"
# (path, index inside a .ttc) per script, in order of preference; the Debian package in the comment
CANDIDATES = {
    "latin": [(f"{TRUETYPE}/noto/NotoSans-Regular.ttf", 0),  # fonts-noto-core
              (f"{TRUETYPE}/dejavu/DejaVuSans.ttf", 0)],  # fonts-dejavu-core
    "zh-Hans": [(f"{TRUETYPE}/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei
                (f"{TRUETYPE}/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
                (f"{TRUETYPE}/arphic/uming.ttc", 0)],  # fonts-arphic-uming
    "ko": [(f"{TRUETYPE}/nanum/NanumGothic.ttf", 0),  # fonts-nanum
           (f"{TRUETYPE}/unfonts-core/UnDotum.ttf", 0)],  # fonts-unfonts-core
    "ne": [(f"{TRUETYPE}/noto/NotoSansDevanagari-Regular.ttf", 0),  # fonts-noto-core
           (f"{TRUETYPE}/lohit-devanagari/Lohit-Devanagari.ttf", 0)],  # fonts-lohit-deva
    "my": [(f"{TRUETYPE}/noto/NotoSansMyanmar-Regular.ttf", 0),  # fonts-noto-core
           (f"{TRUETYPE}/padauk/Padauk-Regular.ttf", 0)],  # fonts-sil-padauk
}
SCRIPT = {"en": "latin", "vi": "latin", "fil": "latin", "pt-BR": "latin", "id": "latin", "zh-Hans": "zh-Hans",
          "ko": "ko", "ne": "ne", "my": "my"}
SHAPED = {"ne", "my"}  # scripts whose letters change shape and order: HarfBuzz lays them out
PACKAGES = "fonts-noto-core fonts-wqy-microhei fonts-nanum"
RUBY = re.compile(r"<ruby>(.*?)<rp>\(</rp><rt>(.*?)</rt><rp>\)</rp></ruby>", re.S)
TAG = re.compile(r"<[^>]+>")
INK = colors.HexColor("#111111")
BAND = colors.HexColor("#0b4f8a")


@dataclass
class Sheet:
    pdf: bytes
    fonts: dict = field(default_factory=dict)  # language code -> font file used
    missing: list = field(default_factory=list)  # language codes left off: no font has their characters


_registered = {}


def _register(path, index):
    key = (path, index)
    if key not in _registered:
        name = "N-" + Path(path).stem + (f"-{index}" if index else "")
        try:
            font = TTFont(name, path, subfontIndex=index)
        except Exception:  # CFF-flavoured or broken: reportlab cannot embed it
            font = None
        if font is not None:
            pdfmetrics.registerFont(font)
        _registered[key] = font
    return _registered[key]


def covers(font, text):
    """Does the font have a glyph for every character of `text` (spaces aside)?"""
    cmap = font.face.charToGlyph
    return all(ord(ch) in cmap for ch in text if not ch.isspace())


def _japanese():
    found = japanese_fonts.load()
    font = _register(found.path, 0) if found.embedded else None
    return (font.fontName, found.path) if font else None


def _primary(code):
    """The language's own font, (name, file): the first candidate present."""
    if code in ("ja", "ja-easy"):
        return _japanese()
    for path, index in CANDIDATES[SCRIPT[code]]:
        if Path(path).is_file() and _register(path, index) is not None:
            return _register(path, index).fontName, path
    return None


def _tokens(markup, shaped):
    """[(text, reading or None)]: ruby as one token each; words where the script is shaped, else characters."""
    pieces, at = [], 0
    for m in RUBY.finditer(markup):
        pieces.append((TAG.sub("", markup[at:m.start()]), None))
        pieces.append((TAG.sub("", m.group(1)), TAG.sub("", m.group(2))))
        at = m.end()
    pieces.append((TAG.sub("", markup[at:]), None))
    out = []
    for text, reading in pieces:
        if reading:
            out.append((text, reading))
        elif shaped:
            out += [(w, None) for w in re.split(r"( )", text) if w]
        else:
            out += [(ch, None) for ch in text]
    return out


def _runs(text, fonts):
    """`text` cut where the font that has its characters changes: [(text, font name)]. :raise LookupError:"""
    runs = []
    for ch in text:
        name = next((f for f in fonts if ch.isspace() or covers(pdfmetrics.getFont(f), ch)), None)
        if name is None:
            raise LookupError(ch)
        if runs and runs[-1][1] == name:
            runs[-1] = (runs[-1][0] + ch, name)
        else:
            runs.append((ch, name))
    return runs


@dataclass
class _Unit:
    text: str
    reading: str
    runs: list  # [(text, font name)]
    size: float
    shaped: bool

    @property
    def base_width(self):
        return sum(pdfmetrics.stringWidth(t, f, self.size) for t, f in self.runs)

    @property
    def width(self):
        if self.reading:
            return max(self.base_width, pdfmetrics.stringWidth(self.reading, self.runs[0][1], self.size * .5))
        return self.base_width


def _lines(units, width):
    """Units wrapped to `width`: at spaces where the text has them, else between any two units."""
    spaced = any(u.text == " " for u in units)
    lines, line, line_w, last_space = [], [], 0.0, None
    for unit in units:
        if line and line_w + unit.width > width:
            if spaced and last_space:
                lines.append(line[:last_space])
                line = line[last_space + 1:]
            else:
                lines.append(line)
                line = []
            line_w, last_space = sum(u.width for u in line), None
            if unit.text == " " and not line:
                continue
        if unit.text == " ":
            last_space = len(line)
        line.append(unit)
        line_w += unit.width
    return lines + ([line] if line else [])


class _Block:
    """One language's text laid out at a size: its lines and height. :raise LookupError: a character
    no font has."""

    def __init__(self, code, label, markup, fonts, size, width):
        self.code, self.size, self.ruby = code, size, code == "ja-easy"
        shaped = code in SHAPED
        self.units = [_Unit(text, reading, _runs(text, fonts), size, shaped)
                      for text, reading in _tokens(markup, shaped)]
        self.label = _Unit(label, None, _runs(label, fonts), 8.5, shaped)
        self.lines = _lines(self.units, width)
        self.leading = size * (1.95 if self.ruby else 1.45)
        self.height = 5.5 * mm + self.leading * len(self.lines)

    @staticmethod
    def _draw(c, unit, x, y):
        for text, font in unit.runs:
            c.setFont(font, unit.size)
            c.drawString(x, y, text, shaping=unit.shaped)
            x += pdfmetrics.stringWidth(text, font, unit.size)

    def draw(self, c, x, y):
        c.setFillColor(colors.HexColor("#555555"))
        self._draw(c, self.label, x, y - 3.5 * mm)
        c.setFillColor(INK)
        y -= 5.5 * mm
        for line in self.lines:
            y -= self.leading
            at = x
            for unit in line:
                w = unit.width
                self._draw(c, unit, at + (w - unit.base_width) / 2, y)
                if unit.reading:
                    font, small = unit.runs[0][1], self.size * .5
                    c.setFont(font, small)
                    c.drawString(at + (w - pdfmetrics.stringWidth(unit.reading, font, small)) / 2,
                                 y + self.size * .95, unit.reading)
                at += w
        return y - 4.5 * mm


def render(*, shelter_name, texts, printed_at=""):
    """PDF of the sheet. `texts`: [(code, name of the language in itself, the notice's markup)]."""
    width, height = A4
    margin = 14 * mm
    column = width - 2 * margin
    japanese = _japanese()
    picked, missing = [], []
    for code, label, markup in texts:
        primary = _primary(code)
        fonts = [f[0] for f in (primary, japanese) if f]  # what staff typed in a blank is often Japanese
        try:
            _Block(code, label, markup, fonts, 10, column)
        except LookupError:
            primary = None
        if primary is None:
            missing.append(code)
        else:
            picked.append((code, label, markup, fonts, primary[1]))

    room = height - 2 * margin - 30 * mm
    blocks = []
    for size in (16, 15, 14, 13, 12, 11, 10, 9, 8):
        blocks = [_Block(code, label, markup, fonts, size * (1.2 if code in ("ja", "ja-easy") else 1), column)
                  for code, label, markup, fonts, _path in picked]
        if sum(b.height for b in blocks) <= room:
            break

    out = io.BytesIO()
    title_font = japanese[0] if japanese else "Helvetica"
    c = rl_canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=title_font)
    c.setTitle(f"{shelter_name} お知らせ Notice")
    c.setFillColor(BAND)
    c.rect(0, height - 24 * mm, width, 24 * mm, fill=1, stroke=0)
    c.setFillColor(colors.white)
    c.setFont(title_font, 20)
    c.drawString(margin, height - 15 * mm, f"お知らせ  Notice  ·  {shelter_name}")
    y = height - 30 * mm
    for block in blocks:
        y = block.draw(c, margin, y)
        c.setStrokeColor(colors.HexColor("#cccccc"))
        c.setLineWidth(.5)
        c.line(margin, y + 2 * mm, width - margin, y + 2 * mm)
    c.setFillColor(colors.HexColor("#555555"))
    c.setFont(title_font, 8)
    c.drawString(margin, 8 * mm, f"shelter-ops · {printed_at}")
    c.showPage()
    c.save()
    return Sheet(out.getvalue(), {code: path for code, _label, _markup, _fonts, path in picked}, missing)
