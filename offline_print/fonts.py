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


# --- the other scripts an evacuee reads (issue 14): TrueType only (reportlab cannot load CFF) ---
# Debian packages: fonts-noto-core (Noto Sans: Latin with Vietnamese; Devanagari; Myanmar),
# fonts-nanum (Hangul), fonts-wqy-microhei (simplified Chinese). .ci/run installs them.
SCRIPT_FONTS = {
    "latin": [("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 0),
              ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0)],
    "hangul": [("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", 0),
               ("/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf", 0)],
    "devanagari": [("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf", 0),
                   ("/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf", 0)],
    "myanmar": [("/usr/share/fonts/truetype/noto/NotoSansMyanmar-Regular.ttf", 0),
                ("/usr/share/fonts/truetype/padauk/Padauk-Regular.ttf", 0)],
    "hans": [("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
             ("/usr/share/fonts/truetype/arphic/uming.ttc", 0)],
}
SHAPED = {"devanagari", "myanmar"}  # scripts whose letters combine: drawn through HarfBuzz
LANG_SCRIPT = {"zh-Hans": "hans", "ko": "hangul", "ne": "devanagari", "my": "myanmar", "vi": "latin"}
PACKAGES = {"latin": "fonts-noto-core", "hangul": "fonts-nanum", "devanagari": "fonts-noto-core",
            "myanmar": "fonts-noto-core", "hans": "fonts-wqy-microhei"}


def script_of(char):
    """The script a character needs a font for: hangul, devanagari, myanmar, han, or other."""
    o = ord(char)
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x0900 <= o <= 0x097F or 0xA8E0 <= o <= 0xA8FF:
        return "devanagari"
    if 0x1000 <= o <= 0x109F or 0xA9E0 <= o <= 0xA9FF or 0xAA60 <= o <= 0xAA7F:
        return "myanmar"
    if 0x3400 <= o <= 0x9FFF or 0x3000 <= o <= 0x30FF or 0xFF00 <= o <= 0xFFEF:
        return "han"
    return "other"


@dataclass
class ScriptFont:
    name: str
    path: str
    shaped: bool
    glyphs: frozenset  # code points the font has


_script_cache = {}
_glyph_cache = {}


def script_font(script):
    """The TrueType font for `script` (registered, embedded when used), or None when none is installed."""
    if script in _script_cache:
        return _script_cache[script]
    font = None
    for path, index in SCRIPT_FONTS.get(script, ()):
        if not Path(path).is_file():
            continue
        name = "F-" + Path(path).stem + (f"-{index}" if index else "")
        try:
            ttf = TTFont(name, path, subfontIndex=index)
            pdfmetrics.registerFont(ttf)
        except Exception:
            continue
        font = ScriptFont(name, path, script in SHAPED and _can_shape(), frozenset(ttf.face.charToGlyph))
        break
    _script_cache[script] = font
    return font


def _can_shape():
    """HarfBuzz (uharfbuzz) is there: without it Devanagari and Burmese print unshaped, not at all wrong
    glyphs but letters in the wrong order; install it (setup.cfg does)."""
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


def glyphs_of(font_name):
    """Code points the registered TrueType font `font_name` has; None for a CID font (reportlab's
    fallback, which claims everything: its page carries the not-embedded notice)."""
    if font_name not in _glyph_cache:
        face = getattr(pdfmetrics.getFont(font_name), "face", None)
        table = getattr(face, "charToGlyph", None)
        _glyph_cache[font_name] = frozenset(table) if table is not None else None
    return _glyph_cache[font_name]


def _chain(script, lang, base):
    """Fonts to try, in order, for a character of `script` in a text of language `lang`."""
    first = LANG_SCRIPT.get(lang)
    order = []
    if script in ("hangul", "devanagari", "myanmar"):
        order = [script]
    elif script == "han":
        order = ["hans", "base"] if first == "hans" else ["base", "hans"]
    else:
        order = (["latin", "base"] if first == "latin" else ["base", "latin"]) + ["hans"]
    return order


def segments(text, base, lang=None):
    """[(font name, text, shaped)]: `text` cut into runs each drawn in a font that has its characters,
    chosen by script (and by language where the script does not decide: Chinese or Japanese Han),
    falling back along a chain; a character no installed font has stays in `base` (a box on paper:
    the tests call that a failure)."""
    key = (text, base, lang)
    hit = _segment_cache.get(key)
    if hit is not None:
        return hit
    base_glyphs = glyphs_of(base)
    if base_glyphs is None:
        return [(base, text, False)]
    runs = []
    current, current_glyphs, shaped = None, None, False
    for char in text:
        if current is not None and (ord(char) in current_glyphs or char in " \u3000"):
            runs[-1][1].append(char)
            continue
        choice = None
        for option in _chain(script_of(char), lang, base):
            if option == "base":
                if ord(char) in base_glyphs:
                    choice = (base, base_glyphs, False)
            else:
                font = script_font(option)
                if font is not None and ord(char) in font.glyphs:
                    choice = (font.name, font.glyphs, font.shaped)
            if choice:
                break
        if choice is None:
            choice = (base, base_glyphs, False)
        if current == choice[0]:
            runs[-1][1].append(char)
        else:
            current, current_glyphs, shaped = choice
            runs.append([current, [char], shaped])
    result = [(name, "".join(chars), is_shaped) for name, chars, is_shaped in runs]
    if len(_segment_cache) < 20000:
        _segment_cache[key] = result
    return result


_segment_cache = {}
