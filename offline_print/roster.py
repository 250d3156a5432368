"""The roster (避難者名簿) by zone with check-out tick boxes; sensitive columns only on the lead's version."""
from reportlab.lib import colors
from reportlab.lib.units import mm

from .pdf import GREY, LIGHT, Canvas, box, fit_text, stamp

HIDDEN_FILL = colors.HexColor("#fde0e0")
NON_DISCLOSURE = "非公開"


def _columns(sensitive):
    # (key, ja, en, width in mm)
    cols = [("tick", "退所✓", "Out", 12), ("number", "受付番号", "No.", 20), ("name", "氏名", "Name", 42),
            ("kana", "ふりがな", "Kana", 36), ("sex", "性別", "Sex", 13), ("age", "年齢", "Age", 11),
            ("relation", "続柄", "Relation", 15), ("since", "入所", "In since", 22)]
    if sensitive:
        cols += [("care", "要配慮", "Care needs", 34), ("health", "アレルギー・服薬・食事", "Allergy, medicine, diet", 40)]
    cols += [("out_at", "退所日時", "Out at", 26)]
    return cols


def render(*, shelter_name, shelter_name_en="", zones, sensitive=False, printed_at=None, size="A4",
           font_path=None):
    """PDF bytes of the roster.

    zones: [{"name", "households": [{"number", "checked_in_at", "persons": [{name, kana, sex, age, relation,
    non_disclosure?, care?, health?}]}]}] — build the staff version from data that has no sensitive fields
    and no 非公開 persons; this function prints what it is given.
    """
    edition = "責任者用（要配慮情報を含む・取扱注意）" if sensitive else "職員用"
    edition_en = "Lead's copy: sensitive, handle with care" if sensitive else "Staff copy"
    c = Canvas(size, True, font_path=font_path, title=f"避難者名簿 {shelter_name} {edition}")
    W, H = c.width, c.height
    cols = _columns(sensitive)
    scale = (W - 20 * mm) / (sum(w for *_, w in cols) * mm)
    widths = [w * mm * scale for *_, w in cols]
    row_h = 6.4 * mm
    L = 10 * mm
    printed = stamp(printed_at)
    total = sum(len(h["persons"]) for z in zones for h in z["households"])
    state = {"page": 0, "y": 0}

    def new_page():
        if state["page"]:
            c.showPage()
        state["page"] += 1
        fit_text(c, f"避難者名簿　{shelter_name}　{edition}", L, H - 14 * mm, W - 80 * mm, 15, min_size=9)
        fit_text(c, f"Roster — {shelter_name_en} — {edition_en}. 退所した方は✓と日時を記入 "
                    "Tick and write the time when someone leaves.", L, H - 19.5 * mm, W - 20 * mm, 8, min_size=5,
                 color=GREY)
        c.text(W - 10 * mm, H - 14 * mm, f"{total}人  印刷 {printed}  p.{state['page']}", 9, anchor="right")
        y = H - 23 * mm
        if sensitive:  # a line of its own, above the table: it must be read, so nothing may cover it
            fit_text(c, "【非公開】の方の所在・情報は誰にも回答しない Never disclose 非公開 persons to anyone",
                     L, H - 25 * mm, W - 20 * mm, 9, min_size=6, color=colors.HexColor("#b2182b"))
            y = H - 28 * mm
        c.setFillColor(LIGHT)
        c.rect(L, y - row_h, sum(widths), row_h, fill=1, stroke=0)
        x = L
        for (key, ja, en, _), w in zip(cols, widths):
            fit_text(c, ja, x + 1 * mm, y - 3 * mm, w - 2 * mm, 8, min_size=5)
            fit_text(c, en, x + 1 * mm, y - 5.6 * mm, w - 2 * mm, 5.5, min_size=4, color=GREY)
            x += w
        state["y"] = y - row_h

    def need(rows):
        if state["y"] - rows * row_h < 12 * mm:
            new_page()

    def zone_row(name, count):
        need(2)
        y = state["y"]
        c.setFillColor(colors.HexColor("#e8eef6"))
        c.rect(L, y - row_h, sum(widths), row_h, fill=1, stroke=0)
        c.text(L + 2 * mm, y - row_h + 2 * mm, f"区画 Zone：{name}（{count}人）", 10)
        state["y"] = y - row_h

    def person_row(household, person, first):
        need(1)
        y = state["y"]
        hidden = person.get("non_disclosure")
        if hidden:
            c.setFillColor(HIDDEN_FILL)
            c.rect(L, y - row_h, sum(widths), row_h, fill=1, stroke=0)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.3 if not first else 0.8)
        c.line(L, y, L + sum(widths), y)
        x = L
        for (key, *_), w in zip(cols, widths):
            base = y - row_h + 2 * mm
            if key == "tick":
                box(c, x + (w - 4 * mm) / 2, y - row_h + 1.2 * mm, 4 * mm)
            elif key == "number":
                if first:
                    fit_text(c, household.get("number") or "", x + 1 * mm, base, w - 2 * mm, 9, min_size=6)
            elif key == "since":
                if first:
                    fit_text(c, stamp(household.get("checked_in_at")) if household.get("checked_in_at") else "",
                             x + 1 * mm, base, w - 2 * mm, 7, min_size=5)
            elif key == "name":
                name = person.get("name") or ""
                if hidden:
                    name = f"【{NON_DISCLOSURE}】{name}"
                fit_text(c, name, x + 1 * mm, base, w - 2 * mm, 10, min_size=6)
            elif key != "out_at":
                value = person.get(key)
                fit_text(c, "" if value is None else str(value), x + 1 * mm, base, w - 2 * mm, 9, min_size=5)
            x += w
        c.setStrokeColor(LIGHT)
        c.setLineWidth(0.3)
        x = L
        for w in widths[:-1]:
            x += w
            c.line(x, y, x, y - row_h)
        state["y"] = y - row_h

    new_page()
    for zone in zones:
        count = sum(len(h["persons"]) for h in zone["households"])
        if not count:
            continue
        zone_row(zone["name"], count)
        for household in zone["households"]:
            for i, person in enumerate(household["persons"]):
                person_row(household, person, i == 0)
    if not total:
        c.text(L, state["y"] - 8 * mm, "入所中の方はいません。 Nobody is checked in.", 12)
    return c.pdf_bytes()
