"""Forms for HQ and the shelter's own records: status report (状況報告書), supply request (物資要請書),
daily log (運営日誌). Blank where nothing is known, pre-filled where data is given."""
import math

from reportlab.lib import colors
from reportlab.lib.units import mm

from .pdf import GREY, INK, LIGHT, Canvas, box, fit_text, footer, rule, stamp

TICK = colors.HexColor("#111111")


def _header(c, title, title_en, shelter, printed_at, extra=""):
    W, H = c.width, c.height
    c.text(12 * mm, H - 16 * mm, title, 20)
    c.text(12 * mm, H - 22 * mm, title_en, 9, color=GREY)
    lines = [f"避難所 Shelter：{shelter.get('name', '')}　{shelter.get('name_en', '') or ''}",
             f"共通ID：{shelter.get('kyotsu_id', '') or ''}　市町村コード Municipality：{shelter.get('municipality_code', '') or ''}"]
    for i, line in enumerate(lines):
        fit_text(c, line, 12 * mm, H - 29 * mm - i * 5 * mm, W - 90 * mm, 9, min_size=6)
    c.text(W - 12 * mm, H - 16 * mm, extra, 11, anchor="right")
    return H - 40 * mm


CELL_H = 13 * mm  # label band (6.6 mm) above a value band a pen or 12 pt figures fit in
LABEL_BAND = 6.6 * mm


def _cell(c, x, y, w, h, ja, en, value=None, *, size=9):
    """A labelled box: label top-left (ja, en under it), value in the band below the label, written
    large, or left blank for a pen. The value never reaches the label band."""
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.rect(x, y - h, w, h, fill=0, stroke=1)
    fit_text(c, ja, x + 1.2 * mm, y - 3.4 * mm, w - 2.4 * mm, 7.5, min_size=5)
    if en:
        fit_text(c, en, x + 1.2 * mm, y - 5.9 * mm, w - 2.4 * mm, 5, min_size=4, color=GREY)
    if value not in (None, ""):
        room = h - LABEL_BAND - 1.6 * mm  # from the baseline up to the label band
        fit_text(c, str(value), x + w - 2 * mm, y - h + 1.6 * mm, w - 4 * mm, min(size + 3, room / 0.9 * 0.8),
                 min_size=5, anchor="right")


def _choice_row(c, x, y, label, label_en, choices, chosen=None, width=None, step=7 * mm):
    """A label and tick boxes (the chosen one filled), e.g. 電気: □使用可 □一部不可 □使用不可 □不明."""
    fit_text(c, label, x, y, 25 * mm, 8.5, min_size=5)
    fit_text(c, label_en, x, y - 2.6 * mm, 25 * mm, 5, min_size=4, color=GREY)
    cx = x + 26 * mm
    for key, (ja, en) in choices.items():
        box(c, cx, y - 0.8 * mm, 3.4 * mm)
        if key == chosen:
            c.setFillColor(TICK)
            c.rect(cx + 0.7 * mm, y - 0.1 * mm, 2 * mm, 2 * mm, fill=1, stroke=0)
        c.text(cx + 4.4 * mm, y, ja, 8)
        cx += 4.4 * mm + max(c.width_of(ja, 8), c.width_of(en, 5)) + 4 * mm
    return y - step


def _text_box(c, x, y, w, h, ja, en, text=""):
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.rect(x, y - h, w, h, fill=0, stroke=1)
    c.text(x + 1.2 * mm, y - 3.4 * mm, ja, 8)
    c.text(x + 1.2 * mm + c.width_of(ja, 8) + 2 * mm, y - 3.4 * mm, en, 6, color=GREY)
    if text:
        _fitted_paragraph(c, str(text), x + 2 * mm, y - 6 * mm, w - 4 * mm, h - 7 * mm)
    else:
        for ly in range(1, int((h - 6 * mm) // (6 * mm)) + 1):
            rule(c, x + 2 * mm, y - 5 * mm - ly * 6 * mm, x + w - 2 * mm, y - 5 * mm - ly * 6 * mm, width=0.3,
                 color=LIGHT)
    return y - h - 2 * mm


def _fitted_paragraph(c, text, x, y_top, width, height):
    """Wrapped text in a box: smaller type when long; when even 5 pt overflows, the tail is cut and marked."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    def make(body, size):
        style = ParagraphStyle("f", fontName=c.font.name, fontSize=size, leading=size * 1.3, wordWrap="CJK")
        para = Paragraph(_escape(body), style)
        return para, para.wrap(width, 100000)[1]

    for size in (8, 7, 6, 5):
        para, used = make(text, size)
        if used <= height:
            break
    lines = text.split("\n")
    while used > height and len(lines) > 1:
        lines = lines[:-1]
        para, used = make("\n".join(lines) + "\n…（続きは画面の記録 see the screen for the rest）", 5)
    para.drawOn(c, x, y_top - min(used, height))


def _escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


# --- 状況報告書 ---

LIFELINES = {"electricity": ("電気", "Electricity"), "water": ("水道", "Water"), "gas": ("ガス", "Gas"),
             "phone": ("電話・通信", "Phone / network"), "toilets": ("トイレ", "Toilets")}
LIFELINE_STATES = {"ok": ("使用可", "Working"), "partly": ("一部不可", "Partly out"), "out": ("使用不可", "Out"),
                   "unknown": ("不明", "Unknown")}
SURROUNDINGS = {"fire": ("火災", "Fire"), "collapse": ("建物倒壊", "Collapse"), "landslide": ("土砂崩れ", "Landslide"),
                "flooding": ("浸水", "Flooding"), "roads": ("道路", "Roads")}
LIVING = {"space": ("スペース", "Space"), "beds": ("寝具・ベッド", "Beds"), "bathing": ("入浴", "Bathing"),
          "laundry": ("洗濯", "Laundry"), "blankets": ("毛布", "Blankets")}
SUFFICIENCY = {"enough": ("充足", "Enough"), "short": ("不足", "Short"), "none": ("なし", "None"),
               "unknown": ("不明", "Unknown")}
CAPACITY_STATUS = {"vacant": ("空きあり", "Space"), "crowded": ("混雑", "Crowded"), "full": ("満員", "Full"),
                   "unknown": ("不明", "Unknown")}
SAFETY = {"usable": ("使用可", "Usable"), "partly": ("一部使用不可", "Partly unusable"),
          "unusable": ("使用不可", "Unusable")}


def status_report(*, shelter, care_codes, report_no=None, data=None, reporter=None, printed_at=None, font_path=None):
    """避難所状況報告書 (DOMAIN.md §6). data: the figures known now (reports.draft()['data'], with
    eei_status in words) or None for blank; care_codes: {code: (ja, en)}, the domain's vocabulary,
    printed as words (a code means nothing to the reader at HQ); reporter: who prints and reports."""
    d = data or {}
    c = Canvas("A4", False, font_path=font_path, title=f"避難所状況報告書 {shelter.get('name', '')}")
    W = c.width
    no = f"第{report_no}報" if report_no else "第　　報"
    y = _header(c, "避難所状況報告書", "Shelter status report to HQ" + (" (pre-filled from live data)" if data else ""),
                shelter, printed_at, extra=no)
    L, R = 12 * mm, W - 12 * mm
    cw = (R - L) / 4
    prefilled_at = stamp(printed_at) if data else None
    safety = SAFETY.get(d.get("safety"))
    rows = [
        [("報告日時", "Reported at", prefilled_at), ("報告者", "Reporter", reporter),
         ("開設状況", "Status", d.get("eei_status")),
         ("安全確認", "Safety check", f"{safety[0]} {safety[1]}" if safety else None)],
        [("開設日時", "Opened at", stamp(d["opened_at"]) if d.get("opened_at") else None),
         ("閉鎖日時", "Closed at", stamp(d["closed_at"]) if d.get("closed_at") else None),
         ("開設理由", "Reason for opening", d.get("reason")), ("定員", "Capacity", d.get("capacity"))],
        [("避難者数（計）", "Evacuees total", d.get("total")), ("男", "Men", d.get("men")),
         ("女", "Women", d.get("women")), ("その他・不明", "Other", d.get("other_sex"))],
        [("世帯数", "Households", d.get("households")), ("昼間人数", "Day count", d.get("day_count")),
         ("夜間人数", "Night count", d.get("night_count")), ("トイレ数", "Toilets", d.get("toilets"))],
        [("新規入所", "New arrivals", d.get("arrivals") if data else None),
         ("退所", "Departures", d.get("departures") if data else None),
         ("在宅避難者", "At home", d.get("at_home")), ("車中泊", "In cars", d.get("in_car"))],
    ]
    h = CELL_H
    for row in rows:
        for i, (ja, en, value) in enumerate(row):
            _cell(c, L + i * cw, y, cw, h, ja, en, value)
        y -= h
    y -= 4 * mm
    c.text(L, y, "要配慮者（人数） People who need care", 8.5)
    y -= 1.5 * mm
    care = d.get("care_needs") or {}
    cw3, ch = (R - L) / 3, 8 * mm
    for i, (code, (ja, en)) in enumerate(care_codes.items()):
        _count_cell(c, L + (i % 3) * cw3, y - (i // 3) * ch, cw3, ch, ja, en, care.get(code) if data else None)
    y -= math.ceil(len(care_codes) / 3) * ch + 5 * mm
    y = _choice_row(c, L, y, "定員状況", "Capacity status", CAPACITY_STATUS, d.get("capacity_status"))
    y = _choice_row(c, L, y, "飲料水", "Drinking water", SUFFICIENCY, d.get("drinking_water"))
    c.text(L, y, "ライフライン Lifelines", 9)
    y -= 5 * mm
    lifelines = d.get("lifelines") or {}
    for key, (ja, en) in LIFELINES.items():
        y = _choice_row(c, L + 4 * mm, y, ja, en, LIFELINE_STATES, lifelines.get(key), step=6 * mm)
    c.text(L, y, "生活環境 Living conditions", 9)
    y -= 5 * mm
    living = d.get("living") or {}
    for key, (ja, en) in LIVING.items():
        y = _choice_row(c, L + 4 * mm, y, ja, en, SUFFICIENCY, living.get(key), step=6 * mm)
    surroundings = d.get("surroundings") or {}
    text = "　".join(f"{ja}：{surroundings[k]}" for k, (ja, _) in SURROUNDINGS.items() if surroundings.get(k))
    y = _text_box(c, L, y, R - L, 13 * mm, "周辺状況（火災・倒壊・土砂・浸水・道路）",
                  "Surroundings: fire, collapse, landslide, flooding, roads", text)
    half = (R - L - 2 * mm) / 2
    _text_box(c, L, y, half, 14 * mm, "必要な物資", "Supplies needed", d.get("supplies_needed") or "")
    y = _text_box(c, L + half + 2 * mm, y, half, 14 * mm, "不足する感染症対策物資", "Infection supplies short",
                  d.get("infection_supplies_short") or "")
    _text_box(c, L, y, half, 13 * mm, "応援職員の要否", "Staff help needed", d.get("staff_help") or "")
    y = _text_box(c, L + half + 2 * mm, y, half, 13 * mm, "傷病者", "Sick or injured",
                  f"{d['sick']}人" if data and d.get("sick") is not None else "")
    _text_box(c, L, y, R - L, max(13 * mm, y - 14 * mm), "緊急を要する事項", "Urgent matters", d.get("urgent") or "")
    footer(c, printed_at, left="避難所状況報告書 Status report" + ("（システムの値を印刷時点で記入）" if data else "（手書き用）"))
    return c.pdf_bytes()


def _count_cell(c, x, y, w, h, ja, en, value=None):
    """One care need: its words on the left, the count (or room for a pen) on the right."""
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.rect(x, y - h, w, h, fill=0, stroke=1)
    label_w = w - 16 * mm
    fit_text(c, ja, x + 1.2 * mm, y - 3.4 * mm, label_w, 7.5, min_size=5)
    fit_text(c, en, x + 1.2 * mm, y - 6.3 * mm, label_w, 5.5, min_size=4, color=GREY)
    c.text(x + w - 1.5 * mm, y - h + 2 * mm, "人", 7, anchor="right")
    if value not in (None, ""):
        fit_text(c, str(value), x + w - 5 * mm, y - h + 2 * mm, 11 * mm, 12, min_size=6, anchor="right")


# --- 物資要請書 ---

PRIORITIES = {"urgent": ("至急", "Urgent"), "high": ("高", "High"), "normal": ("通常", "Normal")}


def supply_request(*, shelter, requests=(), blank_rows=None, printed_at=None, font_path=None):
    """物資要請書: item, quantity, unit, priority, wanted by, received — open requests pre-filled, then blank
    rows (default: as many as fill the page, at least 5)."""
    c = Canvas("A4", False, font_path=font_path, title=f"物資要請書 {shelter.get('name', '')}")
    W, H = c.width, c.height
    y = _header(c, "物資要請書", "Supply request to HQ", shelter, printed_at, extra=f"依頼日 Date：{stamp(printed_at)[:10]}")
    _cell(c, 12 * mm, y, 60 * mm, CELL_H, "依頼者", "Requested by")
    _cell(c, 74 * mm, y, 60 * mm, CELL_H, "連絡先", "Contact")
    y -= CELL_H + 4 * mm
    cols = [("品名", "Item", 58), ("数量", "Qty", 20), ("単位", "Unit", 16), ("優先度", "Priority", 30),
            ("希望日", "Wanted by", 24), ("受領✓・日", "Received", 38)]
    L = 12 * mm
    scale = (W - 24 * mm) / (sum(w for *_, w in cols) * mm)
    widths = [w * mm * scale for *_, w in cols]
    row_h = 9 * mm

    def head(y):
        c.setFillColor(LIGHT)
        c.rect(L, y - row_h, sum(widths), row_h, fill=1, stroke=0)
        x = L
        for (ja, en, _), w in zip(cols, widths):
            c.text(x + 1.5 * mm, y - 4 * mm, ja, 8.5)
            c.text(x + 1.5 * mm, y - 7 * mm, en, 5.5, color=GREY)
            x += w
        return y - row_h

    y = head(y)
    if blank_rows is None:
        fit = int((y - 30 * mm) // row_h) - len(requests)
        blank_rows = max(5, fit if fit > 0 else 5)
    rows = list(requests) + [None] * blank_rows
    for request in rows:
        if y - row_h < 16 * mm:
            footer(c, printed_at, left="物資要請書 Supply request")
            c.showPage()
            y = head(H - 20 * mm)
        c.setStrokeColor(INK)
        c.setLineWidth(0.5)
        c.rect(L, y - row_h, sum(widths), row_h, fill=0, stroke=1)
        x = L
        for i, w in enumerate(widths):
            if i:
                c.line(x, y, x, y - row_h)
            x += w
        if request:
            values = [request.get("item"), _qty(request.get("quantity")), request.get("unit"), None,
                      request.get("wanted_by") or "", ""]
            x = L
            for i, (value, w) in enumerate(zip(values, widths)):
                if value not in (None, ""):
                    fit_text(c, str(value), x + 1.5 * mm, y - row_h + 3 * mm, w - 3 * mm, 10, min_size=6)
                x += w
        px = L + sum(widths[:3]) + 1.5 * mm
        for key, (ja, _) in PRIORITIES.items():
            box(c, px, y - row_h + 2.5 * mm, 3.4 * mm)
            if request and request.get("priority") == key:
                c.setFillColor(TICK)
                c.rect(px + 0.7 * mm, y - row_h + 3.2 * mm, 2 * mm, 2 * mm, fill=1, stroke=0)
            c.text(px + 4 * mm, y - row_h + 3 * mm, ja, 7)
            px += 4 * mm + c.width_of(ja, 7) + 1.5 * mm
        box(c, L + sum(widths[:5]) + 1.5 * mm, y - row_h + 2.5 * mm, 3.4 * mm)
        y -= row_h
    fit_text(c, "本部記入欄 For HQ：受付日時＿＿＿＿　担当＿＿＿＿　発送予定＿＿＿＿", L, max(y - 8 * mm, 18 * mm),
             W - 24 * mm, 9)
    footer(c, printed_at, left="物資要請書 Supply request")
    return c.pdf_bytes()


def _qty(value):
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


# --- 運営日誌 ---

LOG_SECTIONS = [("status", "状況・出来事", "Events"), ("decision", "決定事項", "Decisions"),
                ("complaint", "要望・苦情", "Requests and complaints"), ("handover", "引継ぎ事項", "Hand-over notes")]


def daily_log(*, shelter, day="", headcounts=None, entries=None, supplies=(), arrivals=None, departures=None,
              printed_at=None, font_path=None):
    """運営日誌 for one day: counts morning/evening, arrivals/departures, events, decisions, supplies in/out,
    requests and complaints, hand-over notes. entries: {kind: [text, …]} pre-fills the boxes."""
    c = Canvas("A4", False, font_path=font_path, title=f"運営日誌 {shelter.get('name', '')} {day}")
    W = c.width
    y = _header(c, "避難所運営日誌", "Daily log of the shelter", shelter, printed_at,
                extra=f"日付 Date：{day or '　　年　　月　　日'}")
    L, R = 12 * mm, W - 12 * mm
    cw = (R - L) / 5
    counts = headcounts or {}
    cells = [("朝の人数", "Morning count", counts.get("morning")), ("夕の人数", "Evening count", counts.get("evening")),
             ("入所", "Arrivals", arrivals), ("退所", "Departures", departures), ("記入者", "Written by", None)]
    for i, (ja, en, value) in enumerate(cells):
        _cell(c, L + i * cw, y, cw, CELL_H, ja, en, value)
    y -= CELL_H + 3 * mm
    entries = entries or {}
    room = y - 16 * mm - 5 * 2 * mm  # the boxes share the rest of the page
    shares = {"status": 0.3, "decision": 0.18, "complaint": 0.18, "supplies": 0.14, "handover": 0.2}
    heights = {key: room * share for key, share in shares.items()}
    for key, ja, en in LOG_SECTIONS:
        if key == "handover":
            moves = "　".join(f"{'受入' if m['direction'] == 'in' else '配布'} {m['item']} {_qty(m['quantity'])}{m['unit']}"
                             for m in supplies)
            y = _text_box(c, L, y, R - L, heights["supplies"], "物資の受入・配布", "Supplies received and handed out",
                          moves)
        text = "\n".join(entries.get(key, []))
        if key == "status":
            text = "\n".join(entries.get("status", []) + entries.get("incident", []))
        y = _text_box(c, L, y, R - L, heights[key], ja, en, text)
    footer(c, printed_at, left="運営日誌 Daily log")
    return c.pdf_bytes()
