"""Pre-numbered household cards (避難者カード): one A4 sheet per household (household and consent on the
front, the persons on the back), laid out for handwriting.

Every label is printed in Japanese with the reader's language beside or under it (labels.py); every
writing line is a field of its own, at least WRITING_LINE long with WRITING_HEIGHT of room above it.
"""
from reportlab.lib.units import mm

from . import labels
from .pdf import GREY, INK, LIGHT, Canvas, box, fit_text, qr, rule, stamp

STAYING = ["stay.shelter", "stay.home", "stay.car", "stay.relatives", "stay.other"]
DAMAGE = ["damage.total", "damage.half", "damage.partial", "damage.above", "damage.below", "damage.none"]
CONSENT = ["consent.family", "consent.friends", "consent.public", "consent.never"]
SEXES = ["sex.male", "sex.female", "sex.unanswered"]
PERSONS = 6  # blocks on the back; a larger household staples a second card (said on the card)
ROW = 11.5 * mm  # one row of writing fields: a small label on top, room to write, the line
WRITING_LINE = 25 * mm  # the shortest line a name or a date can be written on
WRITING_HEIGHT = 7 * mm  # room between the label and the line
TICK_ROW = 6 * mm


def _field(c, x, y_top, width, key, lang, *, height=ROW):
    """A writing field: its label (ja, then the reader's language) at the top, the line at the bottom."""
    ja, other = labels.pair(key, lang)
    size = 7.5
    ja_w = c.width_of(ja, size)
    c.text(x, y_top - 2.8 * mm, ja, size)
    if other:
        fit_text(c, other, x + ja_w + 1.5 * mm, y_top - 2.8 * mm, max(1, width - ja_w - 1.5 * mm), 6, min_size=4, lang=lang,
                 color=GREY)
    rule(c, x, y_top - height + 1 * mm, x + width - 1.5 * mm, y_top - height + 1 * mm, width=0.5)


def _choice_width(c, ja, other, size, lang=None):
    return 4.4 * mm + max(c.width_of(ja, size), c.width_of(other, size * 0.72, lang) if other else 0)


def _choices(c, x, y, items, lang, *, width, size=8.5, gap=3 * mm):
    """Tick boxes in a row, each with ja above the reader's language, shrunk to fit `width`."""
    pairs = [labels.pair(key, lang) for key in items]
    while size > 5 and sum(_choice_width(c, ja, o, size, lang) + gap for ja, o in pairs) > width:
        size -= 0.5
    for ja, other in pairs:
        box(c, x, y - 0.6 * mm, 3.4 * mm)
        c.text(x + 4.4 * mm, y + 0.6 * mm, ja, size)
        if other:
            c.text(x + 4.4 * mm, y - 2.2 * mm, other, size * 0.72, color=GREY, lang=lang)
        x += _choice_width(c, ja, other, size, lang) + gap
    return x


def _labelled_choices(c, x, y, key, items, lang, *, width, label_w=26 * mm, size=8.5):
    ja, other = labels.pair(key, lang)
    fit_text(c, ja, x, y + 0.6 * mm, label_w - 2 * mm, 8.5, min_size=5)
    if other:
        fit_text(c, other, x, y - 2.2 * mm, label_w - 2 * mm, 6, min_size=4, color=GREY, lang=lang)
    _choices(c, x + label_w, y, items, lang, width=width - label_w, size=size)


def _ticks(c, x, y, right, groups, lang, *, size=7, rows=2):
    """Tick boxes flowing over `rows` rows (the type shrinks until they fit): groups of (heading key,
    [(ja, other)]); each word in Japanese with the reader's language under it."""
    while size > 4.5 and _tick_rows(c, x, right, groups, lang, size) > rows:
        size -= 0.25
    return _tick_rows(c, x, right, groups, lang, size, y=y)


def _tick_rows(c, x, right, groups, lang, size, y=None):
    """How many rows the tick boxes take at `size`; drawn when y is given."""
    draw = y is not None
    left, rows = x, 1
    for heading, words in groups:
        ja, other = labels.pair(heading, lang)
        items = [(ja, other, False)] + [(w_ja, w_other, True) for w_ja, w_other in words]
        for word, word_other, tickable in items:
            w = max(c.width_of(word, size), c.width_of(word_other, size * 0.72, lang) if word_other else 0)
            w += (3.6 * mm if tickable else 0) + 2 * mm
            if x + w > right:
                rows += 1
                x = left
                y = y - TICK_ROW if draw else None
            if draw:
                if tickable:
                    box(c, x, y - 0.6 * mm, 3 * mm)
                tx = x + (3.6 * mm if tickable else 0)
                c.text(tx, y + 0.5 * mm, word, size)
                if word_other:
                    c.text(tx, y - 1.9 * mm, word_other, size * 0.72, color=GREY, lang=lang)
            x += w
        x += 2 * mm
    return rows


def _care_words(care_codes, lang):
    """The care needs in words: the domain's ja (and en); other languages from the labels file."""
    words = []
    for code, (ja, en) in care_codes.items():
        other = "" if lang == "ja" else (labels.table().get(f"care.{code}", {}).get(lang) or en)
        words.append((ja, other))
    return words


def _head(c, shelter_name, shelter_name_en, lang, side):
    W, H = c.width, c.height
    L = 12 * mm
    y = H - 16 * mm
    title, title_other = labels.pair("card.title", lang)
    c.text(L, y, title, 20)
    fit_text(c, f"{title_other}  {side}".strip(), L, y - 7 * mm, 92 * mm, 10, min_size=6, color=GREY, lang=lang)
    fit_text(c, f"{shelter_name}  {shelter_name_en}", L, y - 13 * mm, 92 * mm, 10, min_size=6)
    number_ja, number_other = labels.pair("card.number", lang)
    fit_text(c, f"{number_ja} {number_other}".strip(), W - 69 * mm, y + 1 * mm, 54 * mm, 8, min_size=5,
             anchor="center")


def _section(c, y, key, lang, hint=None):
    L, R = 12 * mm, c.width - 12 * mm
    rule(c, L, y + 3 * mm, R, y + 3 * mm, width=1)
    ja, other = labels.pair(key, lang)
    c.text(L, y - 1.5 * mm, ja, 10)
    if other:
        fit_text(c, other, L + c.width_of(ja, 10) + 2 * mm, y - 1.5 * mm, R - L - c.width_of(ja, 10) - 2 * mm, 7, lang=lang,
                 min_size=4.5, color=GREY)
    if hint:
        hint_ja, hint_other = labels.pair(hint, lang)
        fit_text(c, f"{hint_ja}  {hint_other}".strip(), L, y - 5.5 * mm, R - L, 7, min_size=4.5, color=GREY)
        return y - 7.5 * mm
    return y - 4 * mm


def _front(c, shelter_name, shelter_name_en, lang):
    """Side 1: the household, the consent and the staff's strip."""
    W, H = c.width, c.height
    L, R = 12 * mm, W - 12 * mm
    _head(c, shelter_name, shelter_name_en, lang, "1/2")
    y = _section(c, H - 42 * mm, "card.household", lang)
    half = (R - L) / 2
    _field(c, L, y, half - 2 * mm, "card.checkin", lang)
    _field(c, L + half, y, half, "card.checkout", lang)
    y -= ROW + 5 * mm
    _labelled_choices(c, L, y, "card.staying", STAYING, lang, width=R - L)
    y -= 5 * mm
    _field(c, L, y, R - L, "card.address", lang)
    y -= ROW
    _field(c, L, y, 70 * mm, "card.phone", lang)
    _field(c, L + 72 * mm, y, R - L - 72 * mm, "card.emergency", lang)
    y -= ROW + 5 * mm
    _labelled_choices(c, L, y, "card.damage", DAMAGE, lang, width=R - L, size=8)
    y -= 5 * mm
    _field(c, L, y, 62 * mm, "card.pets", lang)
    _choices(c, L + 64 * mm, y - ROW + 4 * mm, ["pets.with", "pets.without"], lang, width=44 * mm, size=8)
    _field(c, L + 110 * mm, y, R - L - 110 * mm, "card.vehicle", lang)
    y -= ROW + 8 * mm

    y = _section(c, y, "card.consent", lang)
    _choices(c, L, y - 4 * mm, CONSENT, lang, width=R - L, size=11, gap=6 * mm)
    y -= 13 * mm
    for key, size in (("card.consent_note", 8), ("card.purpose", 8)):
        ja, other = labels.pair(key, lang)
        fit_text(c, ja, L, y, R - L, size, min_size=4.5)
        if other:
            fit_text(c, other, L, y - 3.8 * mm, R - L, 6.5, min_size=4, color=GREY, lang=lang)
        y -= 9 * mm
    more_ja, more_other = labels.pair("card.persons_back", lang)
    fit_text(c, f"{more_ja}  {more_other}".strip(), L, y - 2 * mm, R - L, 9, min_size=5)

    # reception-only strip
    c.setFillColor(LIGHT)
    c.rect(L, 12 * mm, R - L, 13 * mm, fill=1, stroke=0)
    staff_ja, staff_other = labels.pair("card.staff", lang)
    c.text(L + 2 * mm, 19 * mm, staff_ja, 8)
    c.text(L + 2 * mm, 15.5 * mm, staff_other, 5.5, color=GREY, lang=lang)
    _field(c, L + 30 * mm, 24.5 * mm, 50 * mm, "card.zone", "ja")
    _field(c, L + 82 * mm, 24.5 * mm, 50 * mm, "card.staff_name", "ja")
    _field(c, L + 134 * mm, 24.5 * mm, R - L - 134 * mm, "card.keyed", "ja")


def _back(c, shelter_name, shelter_name_en, care_codes, allergens, lang):
    """Side 2: one block per person, with care needs and allergies as words to tick."""
    W, H = c.width, c.height
    L, R = 12 * mm, W - 12 * mm
    _head(c, shelter_name, shelter_name_en, lang, "2/2")
    y = _section(c, H - 42 * mm, "card.persons", lang, "card.persons_hint")
    care = _care_words(care_codes, lang)
    allergy = [labels.pair(f"allergen.{name}", lang) if f"allergen.{name}" in labels.table() else (name, "")
               for name in allergens] + [labels.pair("allergen.other", lang)]
    block = 2 * ROW + 2 * TICK_ROW + 2.5 * mm
    for i in range(PERSONS):
        top = y - i * block
        c.setFillColor(LIGHT)
        c.rect(L, top - block + 1.5 * mm, 7 * mm, block - 1.5 * mm, fill=1, stroke=0)
        c.text(L + 3.5 * mm, top - block / 2, str(i + 1), 12, anchor="center")
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.rect(L, top - block + 1.5 * mm, R - L, block - 1.5 * mm, fill=0, stroke=1)
        x = L + 9 * mm
        inner = R - x - 1 * mm
        _field(c, x, top, 66 * mm, "card.name", lang)
        _field(c, x + 68 * mm, top, 56 * mm, "card.kana", lang)
        _choices(c, x + 126 * mm, top - ROW + 4 * mm, SEXES, lang, width=inner - 126 * mm, size=7.5, gap=1.5 * mm)
        line2 = top - ROW
        _field(c, x, line2, 36 * mm, "card.birth", lang)
        _field(c, x + 38 * mm, line2, 28 * mm, "card.relation", lang)
        _field(c, x + 68 * mm, line2, 34 * mm, "card.language", lang)
        _field(c, x + 104 * mm, line2, inner - 104 * mm, "card.health", lang)
        _ticks(c, x, line2 - ROW - 3.5 * mm, R - 2 * mm, [("card.care", care), ("card.allergy", allergy)], lang,
               size=6.5)
    y -= PERSONS * block + 3 * mm
    more_ja, more_other = labels.pair("card.more_persons", lang)
    fit_text(c, f"{more_ja} {more_other}".strip(), L, y, R - L, 7.5, min_size=4.5, color=GREY)


def display(number):
    return f"{number[:4]}-{number[4:]}" if len(number) == 7 else number


def render(*, numbers, shelter_name, care_codes, allergens, shelter_name_en="", lang=labels.DEFAULT,
           printed_at=None, font_path=None):
    """PDF bytes: one card (two pages: print double-sided) per reception number, its number written large
    and in a QR code (level Q) on both sides.

    care_codes: {code: (ja, en)} and allergens: [ja], the domain's vocabulary, printed as words;
    lang: the reader's language for the labels beside the Japanese (labels.languages())."""
    labels.check_language(lang)
    c = Canvas("A4", False, font_path=font_path, title=f"避難者カード {shelter_name}")
    W, H = c.width, c.height
    c.beginForm("front")
    _front(c, shelter_name, shelter_name_en, lang)
    c.endForm()
    c.beginForm("back")
    _back(c, shelter_name, shelter_name_en, care_codes, allergens, lang)
    c.endForm()
    printed = stamp(printed_at)
    for i, number in enumerate(numbers):
        for side in ("front", "back"):  # the number on both sides: a card printed one-sided stays one card
            c.doForm(side)
            qr(c, number, W - 12 * mm - 27 * mm, H - 37 * mm, 27 * mm, level="Q")
            c.setStrokeColor(INK)
            c.setLineWidth(1.5)
            c.rect(W - 96 * mm, H - 32 * mm, 54 * mm, 13 * mm, fill=0, stroke=1)
            c.text(W - 69 * mm, H - 28.5 * mm, display(number), 22, anchor="center")
            c.text(W - 12 * mm, 6 * mm, f"{display(number)}   {i + 1}/{len(numbers)}   印刷 Printed {printed}", 7,
                   color=GREY, anchor="right")
            c.showPage()
    return c.pdf_bytes()
