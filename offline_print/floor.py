"""The shelter's floor map for the entrance wall: zones as labelled blocks with kind, capacity and count."""
import math

from reportlab.lib import colors
from reportlab.lib.units import mm

from .pdf import GREY, INK, Canvas, fit_text, footer, stamp

KIND_FILL = {
    "general": colors.HexColor("#e3f1e5"),
    "care": colors.HexColor("#fde6c8"),
    "nursing": colors.HexColor("#f9dbe8"),
    "fever": colors.HexColor("#f8cfcf"),
    "close_contact": colors.HexColor("#f1c1c1"),
    "pets": colors.HexColor("#e6e0f3"),
    "no_entry": colors.HexColor("#bdbdbd"),
    "common": colors.HexColor("#dfe9f5"),
}


def render(*, name, name_en="", zones, printed_at=None, size="A4", landscape=True, font_path=None):
    """PDF bytes. zones: [{name, kind, kind_ja, kind_en, capacity?, present?}] in floor order."""
    c = Canvas(size, landscape, font_path=font_path, title=f"{name} 区画図 Floor map")
    W, H = c.width, c.height
    k = min(W, H) / (210 * mm)
    margin = 10 * mm
    fit_text(c, f"{name}　区画案内図", margin, H - 20 * mm * k, W - 2 * margin, 30 * k, min_size=14)
    fit_text(c, f"{name_en}  Floor map — zones, capacity and people here now", margin, H - 29 * mm * k,
             W - 2 * margin, 14 * k, min_size=8, color=GREY)
    top = H - 36 * mm * k
    bottom = 16 * mm
    n = max(1, len(zones))
    cols = max(1, math.ceil(math.sqrt(n * (W - 2 * margin) / (top - bottom))))
    rows = math.ceil(n / cols)
    gap = 4 * mm
    cw = (W - 2 * margin - gap * (cols - 1)) / cols
    ch = (top - bottom - gap * (rows - 1)) / rows
    big = max(10, min(28 * k, ch / 5, cw / 9))
    for i, zone in enumerate(zones):
        col, row = i % cols, i // cols
        x = margin + col * (cw + gap)
        y = top - (row + 1) * ch - row * gap
        kind = zone.get("kind") or "general"
        c.setFillColor(KIND_FILL.get(kind, colors.white))
        c.setStrokeColor(INK)
        c.setLineWidth(2)
        if kind == "no_entry":
            c.setDash(6, 4)
        c.rect(x, y, cw, ch, fill=1, stroke=1)
        c.setDash()
        pad = 3 * mm
        fit_text(c, zone["name"], x + pad, y + ch - pad - big, cw - 2 * pad, big, min_size=9)
        fit_text(c, f"{zone.get('kind_ja', '')}  {zone.get('kind_en', '')}", x + pad, y + ch - pad - big * 1.9,
                 cw - 2 * pad, big * 0.55, min_size=7)
        capacity = zone.get("capacity")
        present = zone.get("present")
        lines = []
        if capacity is not None:
            lines.append(f"定員 Capacity  {capacity}人")
        if present is not None:
            lines.append(f"現在 Now  {present}人")
        for j, line in enumerate(lines):
            fit_text(c, line, x + pad, y + pad + (len(lines) - 1 - j) * big * 0.95, cw - 2 * pad, big * 0.8,
                     min_size=8)
    footer(c, printed_at, left=f"{name} 区画図  人数は印刷時点 Counts as of {stamp(printed_at)}")
    return c.pdf_bytes()
