"""Free text typed by people: normalised, cleaned of invisible characters, checked for presence and
length, refused in ja and en; and text made safe for a spreadsheet cell."""
import re
import unicodedata

from .errors import Invalid

# Never kept in stored text: NUL and other control characters (C0, DEL, C1), byte-order marks and
# word joiners, the bidirectional overrides/embeddings/isolates that make a name display reversed
# (U+202E "RIGHT-TO-LEFT OVERRIDE"), and lone surrogates (which SQLite cannot store as UTF-8).
# Kept: ZWJ/ZWNJ (U+200C/U+200D), which some scripts and names need.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\u061c\ufeff\ufff9-\ufffb\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]+")


def clean(value, *, fold=False, single_line=False):
    """`value` as a clean string: NFKC when `fold` (names, numbers typed full-width), otherwise NFC
    (prose keeps its full-width punctuation); invisible and control characters removed; tabs and
    line breaks become one space when `single_line`; surrounding space stripped."""
    text = _INVISIBLE.sub("", str(value if value is not None else ""))
    if single_line:
        text = _LINE_BREAKS.sub(" ", text)
    return unicodedata.normalize("NFKC" if fold else "NFC", text).strip()


def free_text(value, ja, en, *, required=True, limit=1000, fold=False, missing=None, too_long=None):
    """`value` as clean text. `ja`/`en` name the field in refusals; text an evacuee types gives message ids
    instead (`missing`, and `too_long` with %(n)s), so the refusal comes in their language. `fold` applies NFKC
    (item names, numbers typed full-width); otherwise NFC, so prose keeps its full-width punctuation as written."""
    text = clean(value, fold=fold)
    if required and not text:
        raise Invalid(missing) if missing else Invalid(f"{ja}を入力してください。", f"Enter the {en}.")
    if len(text) > limit:
        if too_long:
            raise Invalid(too_long, params={"n": limit})
        raise Invalid(f"{ja}は{limit}文字以内にしてください。", f"The {en} can have at most {limit} characters.")
    return text


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value):
    """A value for a CSV cell that a spreadsheet shows as text and never runs as a formula: a cell
    starting with = + - @ (or a tab/CR, or their full-width forms, which Excel also reads) gets a
    leading apostrophe (OWASP's advice). Numbers stay numbers; None becomes ""."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(values):
    """Every cell of a row through csv_cell."""
    return [csv_cell(v) for v in values]
