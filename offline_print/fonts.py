"""The Japanese font: a TrueType font found on the system, embedded; else reportlab's CID font with a notice."""
import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

# (path, index inside a .ttc) in order of preference: BIZ UDPGothic (made for legibility), then IPAexGothic.
# Noto CJK is CFF-flavoured OpenType, which reportlab cannot load, so it is not listed.
SEARCH_PATHS = [
    # Linux (Debian/Ubuntu packages fonts-morisawa-bizud-gothic, fonts-ipaexfont-gothic)
    ("/usr/share/fonts/truetype/fonts-morisawa-bizud-gothic/BIZUDPGothic-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/morisawa/BIZUDPGothic-Regular.ttf", 0),
    ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", 0),
    ("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf", 0),
    ("/usr/share/fonts/ipa-ex-gothic/ipaexg.ttf", 0),  # Fedora
    ("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf", 0),
    # Windows 10/11 ship BIZ UD fonts; the .ttc holds BIZ UDGothic (0) and BIZ UDPGothic (1)
    ("C:/Windows/Fonts/BIZ-UDGothicR.ttc", 1),
    ("C:/Windows/Fonts/ipaexg.ttf", 0),
    # macOS (user-installed)
    ("/Library/Fonts/BIZUDPGothic-Regular.ttf", 0),
    ("/Library/Fonts/ipaexg.ttf", 0),
    (str(Path.home() / "Library/Fonts/BIZUDPGothic-Regular.ttf"), 0),
    (str(Path.home() / "Library/Fonts/ipaexg.ttf"), 0),
]

CID_FALLBACK = "HeiseiKakuGo-W5"
NOTICE = ("注意：日本語フォントが埋め込まれていません。文字が□で表示される場合は、"
          "IPAexゴシック等をインストールして再印刷してください。 "
          "(Japanese font not embedded: install IPAexGothic or BIZ UDPGothic and print again.)")


@dataclass(frozen=True)
class Font:
    name: str  # the registered reportlab font name
    embedded: bool
    path: str = ""


def find(font_path=None):
    """(path, index) of the first usable TrueType font: the setting FONT_PATH, then SEARCH_PATHS; or None."""
    font_path = os.environ.get("SHELTER_OPS_FONT_PATH", "") if font_path is None else font_path
    candidates = ([(font_path, 0)] if font_path else []) + list(SEARCH_PATHS)
    for path, index in candidates:
        if path and Path(path).is_file():
            return path, index
    return None


_cache = {}


def load(font_path=None):
    """The font to write Japanese with, registered with reportlab (cached per path)."""
    found = find(font_path)
    key = found or CID_FALLBACK
    if key in _cache:
        return _cache[key]
    font = None
    if found:
        path, index = found
        name = "JP-" + Path(path).stem + (f"-{index}" if index else "")
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            font = Font(name, True, path)
        except Exception:  # a CFF or broken file: fall back rather than fail to print
            font = None
    if font is None:
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
        font = Font(CID_FALLBACK, False)
    _cache[key] = font
    return font
