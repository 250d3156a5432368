"""The door poster: shelter name in ja and en, the self-registration QR and URL, level and print time."""
from reportlab.lib import colors
from reportlab.lib.units import mm

from . import labels
from .pdf import GREY, INK, LEVELS, STATES, Canvas, fit_text, footer, qr, ruby_text, stamp


def render(*, name, name_en="", url, level=None, state="open", capacity=None, printed_at=None, size="A4",
           municipality="", font_path=None):
    """PDF bytes of the poster for the shelter's door. `url` is the self-registration page (/door/<共通ID>);
    the call to scan is printed in every language of labels.languages() (furigana over the kanji of
    やさしい日本語)."""
    c = Canvas(size, False, font_path=font_path, title=f"{name} 受付 Registration")
    W, H = c.width, c.height
    k = W / (210 * mm)  # everything scales with the paper: A3 is the same poster, larger
    margin = 12 * mm * k

    # band with the municipality, then the name: the biggest thing on the sheet
    c.setFillColor(colors.HexColor("#0b4f8a"))
    c.rect(0, H - 22 * mm * k, W, 22 * mm * k, fill=1, stroke=0)
    fit_text(c, f"{municipality} 指定避難所  Designated evacuation shelter".strip(), margin, H - 14.5 * mm * k,
             W - 2 * margin, 18 * k, color=colors.white)
    fit_text(c, name, W / 2, H - 48 * mm * k, W - 2 * margin, 60 * k, min_size=24 * k, anchor="center")
    if name_en:
        fit_text(c, name_en, W / 2, H - 62 * mm * k, W - 2 * margin, 24 * k, min_size=12 * k, anchor="center")

    # the QR code and what to do with it, then the same call in every language an evacuee reads
    qr_size = 80 * mm * k
    qr_y = H - 84 * mm * k - qr_size
    c.text(W / 2, qr_y + qr_size + 3 * mm * k, "スマートフォンで読み取って受付  Scan to register", 20 * k,
           anchor="center")
    qr(c, url, (W - qr_size) / 2, qr_y, qr_size, level="M")
    fit_text(c, url, W / 2, qr_y - 7 * mm * k, W - 2 * margin, 15 * k, min_size=9 * k, anchor="center")
    calls = [lang for lang in labels.languages() if lang not in ("ja", "en")]
    col_w = (W - 2 * margin) / 2
    row_h = 7.2 * mm * k
    top = qr_y - 16 * mm * k
    for i, lang in enumerate(calls):
        x = margin + (i % 2) * col_w
        y = top - (i // 2) * row_h
        c.text(x, y, labels.languages()[lang], 7 * k, color=GREY, lang=lang)
        ruby_text(c, x + 24 * mm * k, y, labels.text("poster.scan", lang), 11 * k, width=col_w - 25 * mm * k, lang=lang)

    # the no-phone line: nobody is turned away for lack of a phone
    y = top - ((len(calls) + 1) // 2) * row_h - 8 * mm * k
    c.setStrokeColor(INK)
    c.setLineWidth(1.5 * k)
    c.rect(margin, y - 6 * mm * k, W - 2 * margin, 18 * mm * k, fill=0, stroke=1)
    fit_text(c, "スマートフォンをお持ちでない方は受付へお越しください", W / 2, y + 4 * mm * k, W - 2 * margin - 6 * mm,
             22 * k, anchor="center")
    fit_text(c, "No smartphone? Please come to the reception desk.", W / 2, y - 2.5 * mm * k,
             W - 2 * margin - 6 * mm, 15 * k, anchor="center")

    # current level, in words and colour
    y -= 24 * mm * k
    if state == "open" and level in LEVELS:
        ja, en, fill = LEVELS[level]
    elif state == "open":
        ja, en, fill = "確認中", "Checking", colors.white
    else:
        ja, en, fill = STATES.get(state, STATES["standby"])
    c.setFillColor(fill)
    c.setStrokeColor(INK)
    c.roundRect(margin, y - 4 * mm * k, 30 * mm * k, 14 * mm * k, 4 * mm * k, fill=1, stroke=1)
    c.text(margin + 34 * mm * k, y + 4 * mm * k, f"現在の状況：{ja}", 20 * k)
    c.text(margin + 34 * mm * k, y - 2.5 * mm * k,
           f"Status: {en}" + (f"   定員 Capacity {capacity}人" if capacity is not None else ""), 13 * k)
    c.text(margin, y - 12 * mm * k, f"この掲示の印刷時刻 Printed {stamp(printed_at)}（最新の状況は受付でご確認ください "
           "Ask at reception for the latest status）", 9 * k, color=GREY)
    footer(c, printed_at, left=f"{name} {name_en}")
    return c.pdf_bytes()
