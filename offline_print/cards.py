"""Pre-numbered household cards (避難者カード): one A4 page per household, laid out for handwriting."""
from reportlab.lib.units import mm

from .pdf import GREY, INK, LIGHT, Canvas, box, fit_text, qr, rule, stamp

CARE_CODES = [("ILL", "病気・けが"), ("PRG", "妊産婦"), ("INF", "乳幼児"), ("DIS", "障害"), ("NUR", "要介護"),
              ("MED", "医療機器"), ("ALG", "アレルギー"), ("FOR", "日本語が不自由"), ("ELD", "高齢独居")]
ALLERGENS = ["卵", "乳", "小麦", "落花生", "そば", "えび", "かに", "他"]
STAYING = [("避難所", "Shelter"), ("在宅", "At home"), ("車中泊", "In a car"), ("親戚宅", "Relatives"),
           ("その他", "Other")]
DAMAGE = [("全壊", "Destroyed"), ("半壊", "Half"), ("一部損壊", "Partly"), ("床上浸水", "Flooded above floor"),
          ("床下浸水", "Below floor"), ("被害なし", "None")]
CONSENT = [("家族のみ", "Family only"), ("知人にも", "Friends too"), ("公開可", "May be published"),
           ("一切回答しない", "Never answer")]
PERSONS = 5


def _heading(c, x, y, ja, en, size=10):
    """A heading in Japanese with its English line under it; returns the y below both."""
    c.text(x, y, ja, size)
    c.text(x, y - size * 0.95, en, size * 0.62, color=GREY)
    return y - size * 1.7


def _choices(c, x, y, items, size=8.5, gap=3 * mm, width=None):
    """Tick boxes with ja/en labels in a row."""
    for ja, en in items:
        box(c, x, y - 0.6 * mm, 3.4 * mm)
        label_w = max(c.width_of(ja, size), c.width_of(en, size * 0.65))
        c.text(x + 4.4 * mm, y + 0.6 * mm, ja, size)
        c.text(x + 4.4 * mm, y - 2.2 * mm, en, size * 0.65, color=GREY)
        x += 4.4 * mm + label_w + gap
    return x


def _line_field(c, x, y, width, ja, en, size=8.5):
    c.text(x, y + 0.8 * mm, ja, size)
    c.text(x, y - 2.2 * mm, en, size * 0.65, color=GREY)
    label = max(c.width_of(ja, size), c.width_of(en, size * 0.65)) + 2 * mm
    rule(c, x + label, y - 2.4 * mm, x + width, y - 2.4 * mm, width=0.4)


def _static(c, shelter_name, shelter_name_en):
    """Everything on a card but its number: drawn once, reused on every page."""
    W, H = c.width, c.height
    L, R = 12 * mm, W - 12 * mm
    y = H - 16 * mm
    c.text(L, y, "避難者カード", 20)
    c.text(L, y - 7 * mm, "Evacuee registration card (one per household)", 10, color=GREY)
    fit_text(c, f"{shelter_name}  {shelter_name_en}", L, y - 13 * mm, 110 * mm, 10, min_size=7)
    c.text(R - 32 * mm, y + 1 * mm, "受付番号 Reception No.", 8, anchor="right")

    y = H - 40 * mm
    rule(c, L, y + 3 * mm, R, y + 3 * mm, width=1)
    y = _heading(c, L, y - 2 * mm, "1. 世帯 Household", "Check-in and where you stay")
    _line_field(c, L, y - 2 * mm, 90 * mm, "入所日時", "Check-in date/time")
    _line_field(c, L + 96 * mm, y - 2 * mm, R - L - 96 * mm, "退所日時", "Check-out date/time")
    y -= 10 * mm
    c.text(L, y, "滞在場所", 8.5)
    c.text(L, y - 2.8 * mm, "Staying at", 5.5, color=GREY)
    _choices(c, L + 18 * mm, y, STAYING)
    y -= 10 * mm
    _line_field(c, L, y, R - L, "住所 〒", "Address, postcode")
    y -= 9 * mm
    _line_field(c, L, y, 80 * mm, "電話", "Phone")
    _line_field(c, L + 86 * mm, y, R - L - 86 * mm, "地域外の緊急連絡先", "Emergency contact outside the area")
    y -= 10 * mm
    c.text(L, y, "住家の被害", 8.5)
    c.text(L, y - 2.8 * mm, "Home damage", 5.5, color=GREY)
    _choices(c, L + 18 * mm, y, DAMAGE, gap=2 * mm)
    y -= 10 * mm
    c.text(L, y, "ペット", 8.5)
    c.text(L, y - 2.8 * mm, "Pets", 5.5, color=GREY)
    _line_field(c, L + 14 * mm, y, 40 * mm, "種類", "Kind")
    _line_field(c, L + 58 * mm, y, 22 * mm, "数", "Count")
    _choices(c, L + 84 * mm, y, [("同行", "With you"), ("同行なし", "Not with you")])
    _line_field(c, L + 132 * mm, y, R - L - 132 * mm, "車両", "Vehicle, plate")

    y -= 9 * mm
    rule(c, L, y + 3 * mm, R, y + 3 * mm, width=1)
    y = _heading(c, L, y - 2 * mm, "2. 家族 Persons in the household",
                 "One block per person. Care needs and allergies: tick what applies")
    row_h = 7.6 * mm
    for i in range(PERSONS):
        top = y - i * 3 * row_h
        c.setFillColor(LIGHT)
        c.rect(L, top - 3 * row_h, 7 * mm, 3 * row_h, fill=1, stroke=0)
        c.text(L + 3.5 * mm, top - 1.6 * row_h, str(i + 1), 12, anchor="center")
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.rect(L, top - 3 * row_h, R - L, 3 * row_h, fill=0, stroke=1)
        x = L + 9 * mm
        line1 = top - row_h + 2.2 * mm
        _line_field(c, x, line1, 58 * mm, "氏名", "Name")
        _line_field(c, x + 60 * mm, line1, 42 * mm, "ふりがな", "Kana")
        _choices(c, x + 104 * mm, line1, [("男", "M"), ("女", "F"), ("回答しない", "No answer")], size=8, gap=1.5 * mm)
        line2 = top - 2 * row_h + 2.2 * mm
        _line_field(c, x, line2, 34 * mm, "生年月日・年齢", "Birth date / age")
        _line_field(c, x + 36 * mm, line2, 22 * mm, "続柄", "Relation")
        _line_field(c, x + 60 * mm, line2, 28 * mm, "国籍・言語", "Language")
        c.text(x + 91 * mm, line2 + 0.8 * mm, "アレルギー", 7)
        c.text(x + 91 * mm, line2 - 2 * mm, "Allergy", 5, color=GREY)
        ax = x + 104 * mm
        for name in ALLERGENS:
            box(c, ax, line2 - 0.8 * mm, 3 * mm)
            c.text(ax + 3.6 * mm, line2 - 0.2 * mm, name, 7)
            ax += 3.6 * mm + c.width_of(name, 7) + 1.3 * mm
        line3 = top - 3 * row_h + 2.6 * mm
        c.text(x, line3 + 0.6 * mm, "要配慮", 7)
        c.text(x, line3 - 2.1 * mm, "Care needs", 5, color=GREY)
        cx = x + 12 * mm
        for code, ja in CARE_CODES:
            box(c, cx, line3 - 0.8 * mm, 3 * mm)
            c.text(cx + 3.6 * mm, line3 - 0.2 * mm, code, 7)
            cx += 3.6 * mm + c.width_of(code, 7) + 1.4 * mm
        _line_field(c, cx + 1 * mm, line3, R - cx - 3 * mm, "服薬・医療機器・食事", "Medicine, devices, diet", size=7)
    y -= PERSONS * 3 * row_h + 4 * mm
    legend = "  ".join(f"{code}={ja}" for code, ja in CARE_CODES)
    fit_text(c, "要配慮 Care needs: " + legend, L, y, R - L, 7, min_size=5, color=GREY)
    y -= 3.5 * mm
    fit_text(c, "ILL illness/injury, PRG pregnant/nursing, INF infants, DIS disability, NUR nursing care, "
                "MED medical device, ALG allergy, FOR limited Japanese, ELD elderly alone", L, y, R - L, 6, min_size=4.5,
             color=GREY)

    y -= 7 * mm
    rule(c, L, y + 3 * mm, R, y + 3 * mm, width=1)
    y = _heading(c, L, y - 2 * mm, "3. 安否確認への回答（同意）",
                 "Consent: may we answer people who ask whether you are here and safe?")
    _choices(c, L, y - 1 * mm, CONSENT, size=10, gap=6 * mm)
    y -= 9 * mm
    fit_text(c, "選ばない場合は回答しません。DV等の被害で所在を知られたくない方は受付に申し出てください（一切開示しません）。",
             L, y, R - L, 7.5, min_size=5)
    fit_text(c, "No tick: we do not answer. If someone must not learn where you are (DV, stalking), tell reception: "
                "we disclose nothing.", L, y - 3.5 * mm, R - L, 6, min_size=4.5, color=GREY)
    fit_text(c, "記入いただいた情報は避難所の運営と支援のためにだけ使います。 "
                "What you write is used only to run the shelter and to support you.", L, y - 7.5 * mm, R - L, 7,
             min_size=4.5)

    # reception-only strip
    y = 16 * mm
    c.setFillColor(LIGHT)
    c.rect(L, y - 2 * mm, R - L, 9 * mm, fill=1, stroke=0)
    c.text(L + 2 * mm, y + 3.5 * mm, "受付記入欄 For staff", 8)
    _line_field(c, L + 32 * mm, y + 2.5 * mm, 45 * mm, "区画", "Zone", size=8)
    _line_field(c, L + 82 * mm, y + 2.5 * mm, 45 * mm, "受付者", "Staff", size=8)
    _line_field(c, L + 132 * mm, y + 2.5 * mm, R - L - 134 * mm, "入力済", "Keyed in", size=8)


def display(number):
    return f"{number[:4]}-{number[4:]}" if len(number) == 7 else number


def render(*, numbers, shelter_name, shelter_name_en="", printed_at=None, font_path=None):
    """PDF bytes: one card per reception number, its number written large and in a QR code (level Q)."""
    c = Canvas("A4", False, font_path=font_path, title=f"避難者カード {shelter_name}")
    W, H = c.width, c.height
    c.beginForm("card")
    _static(c, shelter_name, shelter_name_en)
    c.endForm()
    printed = stamp(printed_at)
    for i, number in enumerate(numbers):
        c.doForm("card")
        qr(c, number, W - 12 * mm - 27 * mm, H - 37 * mm, 27 * mm, level="Q")
        c.setStrokeColor(INK)
        c.setLineWidth(1.5)
        c.rect(W - 96 * mm, H - 32 * mm, 54 * mm, 13 * mm, fill=0, stroke=1)
        c.text(W - 69 * mm, H - 28.5 * mm, display(number), 22, anchor="center")
        c.text(W - 12 * mm, 7 * mm, f"{display(number)}   {i + 1}/{len(numbers)}   印刷 Printed {printed}", 7,
               color=GREY, anchor="right")
        c.showPage()
    return c.pdf_bytes()
