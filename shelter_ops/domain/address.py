"""Japanese addresses in one notation, so 「2丁目3番」「2の3」「2―3」「２－３」 are the same address in a roster.

Offline and dictionary-free on purpose: the PyPI normalisers that know every 町字 (the Geolonia port,
jageocoder, japanese-address-parser) fetch their data over the internet or need a dictionary download,
and a shelter laptop has neither. This folds notation only; it never guesses a town. The original
text is always kept beside the normalised one (see `both()`).

What it does, in order: NFKC (full-width digits, letters and half-width kana folded); the postcode
mark 〒NNN-NNNN dropped; spaces collapsed, and dropped after kana or kanji; every dash look-alike between digits made "-"; 大字 and
the 字 that marks a 小字 dropped; then, from the first block number on (a digit, or a kanji numeral
before 丁目/番地/番/号), kanji numerals become digits and 丁目・番地・番・号・の become "-".
"""
import re
import unicodedata

KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
                "壱": 1, "弐": 2, "参": 3}
KANJI_UNITS = {"十": 10, "拾": 10, "百": 100, "千": 1000}
_NUMERAL = "[" + "".join(KANJI_DIGITS) + "".join(KANJI_UNITS) + "]+"
# every character that people (and IMEs) type for the hyphen of 2-3-5
DASHES = "-‐‑‒–—―−ー－ｰ─━⁃﹣"
_DASH_BETWEEN = re.compile(rf"(?<=\d)\s*[{re.escape(DASHES)}]\s*(?=\d)")
_BLOCK_MARK = r"(?:丁目|番地|番(?!町)|号(?![室棟館]))"
_FIRST_BLOCK = re.compile(rf"\d|{_NUMERAL}(?={_BLOCK_MARK})")
_POSTCODE = re.compile(r"^\s*〒?\s*\d{3}\s*-\s*\d{4}\s*")


def kanji_number(text):
    """A kanji numeral as an int: 二十三 → 23, 百五 → 105, 二〇三 → 203 (positional, as on signs)."""
    if not any(ch in KANJI_UNITS for ch in text):
        return int("".join(str(KANJI_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in KANJI_DIGITS:
            digit = KANJI_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * KANJI_UNITS[ch]
            digit = None
    return total + (digit or 0)


def _drop_aza(text):
    """大字 always; 字 where it marks the next part of the town name (手広字上町 → 手広上町), whether or
    not a 大字 came before it. Real town names with 字 in them are rare enough to accept."""
    text = text.replace("大字", "")
    return re.sub(r"(?<=[^\s\d-])字(?=[^\s\d-])", "", text)


def _blocks(tail):
    """The block part: kanji numerals to digits, 丁目/番地/番/号/の to "-", no trailing mark."""
    tail = re.sub(_NUMERAL, lambda m: str(kanji_number(m.group(0))), tail)
    tail = _DASH_BETWEEN.sub("-", tail)
    tail = re.sub(rf"(?<=\d)\s*(?:{_BLOCK_MARK}\s*[の之ノ-]?|[の之ノ])\s*(?=\d)", "-", tail)
    tail = re.sub(r"(?<=\d)(?:番地|番(?!町)|号(?![室棟館]))", "", tail)
    return re.sub(r"-{2,}", "-", tail)


def normalize(text):
    """One notation for an address (see the module docstring); '' for None or blank. Idempotent: marks
    left by one pass (0号番 → 0番) are folded by the next, until nothing changes."""
    if not text:
        return ""
    text = str(text)
    for _ in range(5):
        folded = _fold(text)
        if folded == text:
            break
        text = folded
    return text


def _fold(text):
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("ヶ", "ケ").replace("ヵ", "カ")
    text = _POSTCODE.sub("", text)
    text = " ".join(text.split())
    # Japanese is written without spaces: one after a kana or kanji is a typing habit, not a separator
    # (the one between the block numbers and a building name is kept)
    text = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f]|\d)", "", text)
    text = _DASH_BETWEEN.sub("-", text)
    text = _drop_aza(text)
    start = _FIRST_BLOCK.search(text)
    if start is None:
        return text
    head, tail = text[:start.start()], text[start.start():]
    return (head + _blocks(tail)).strip()


def both(text):
    """{"original": as written, "normalized": in one notation}: exports carry the two side by side."""
    return {"original": text or "", "normalized": normalize(text)}


def same(a, b):
    """True when two addresses differ only in notation."""
    return normalize(a) == normalize(b)
