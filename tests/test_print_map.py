"""The paper map for a black-and-white copier and a prefecture: state by shape and letter, the
public page's numbers, marker placement that scales, and the atlas."""
import re

import pytest
from print_helpers import overlapping_runs, pdf_pages, pdf_text, qr_codes, text_runs

from offline_print import atlas, bench
from offline_print import map as paper_map
from offline_print.pdf import Canvas
from shelter_ops.domain import numbering

PUBLIC = "http://shelter.example.jp/public/"
STATES = ["open", "opening", "standby", "closing", "closed"]


def numbered(shelters):
    numbers = numbering.shelter_numbers(shelters)
    return [dict(s, number=numbers[numbering.key_of(s)]) for s in shelters]


@pytest.fixture(scope="module")
def prefecture():
    return numbered(bench.prefecture_shelters(600, seed=7))


def test_each_state_and_level_has_its_own_shape_or_letter_so_a_grey_copy_tells_them_apart():
    samples = [{"state": "open", "level": level} for level in ("vacant", "some", "crowded", "full", None)]
    samples += [{"state": state} for state in STATES[1:]]
    styles = [paper_map.marker_style(s) for s in samples]
    letters = [style[3] for style in styles]
    assert len(set(letters)) == len(samples), "one letter per state and level"
    shapes = {s["state"]: style[1:3] for s, style in zip(samples, styles)}
    assert len(set(shapes.values())) == len(STATES), "one shape (outline, dashed or not) per state"


def test_the_map_prints_a_letter_after_each_number_and_the_legend_explains_shape_and_letter():
    shelters = numbered([{"name": f"避難所{i}", "kyotsu_id": f"E142040000{i}111", "lat": 35.30 + i * 0.01,
                          "lon": 139.52 + (i % 2) * 0.03, "state": state, "level": "crowded"}
                         for i, state in enumerate(STATES, 1)])
    pdf = paper_map.render(shelters, qr_url=PUBLIC)
    runs = [r["text"].strip() for r in text_runs(pdf)[0]]
    for s in shelters:
        letter = paper_map.marker_style(s)[3]
        assert f"{s['number']}{letter}" in runs, f"marker {s['number']} without its letter {letter}"
    text = pdf_text(pdf)
    assert "形と文字でも区別" in text and "Shape and letter" in text
    for word in ("止 閉鎖準備", "未 未開設", "混 混雑"):
        assert word in text


def test_map_numbers_are_the_callers_and_the_index_lists_them_in_order(prefecture):
    sample = prefecture[:40]
    layout = pdf_text(paper_map.render(sample, qr_url=PUBLIC), layout=True)
    found = {int(n) for n in re.findall(r"(\d+)[空やこ混満確未準止閉]\s+[A-HJ-NP-Z]\d+", layout)}
    assert found == {s["number"] for s in sample}


def test_placing_the_markers_of_a_prefecture_is_near_linear():
    """Work, not time (speed targets live in bench/): four times the shelters on the same frame,
    markers sized as the map sizes them (down to its 4 pt floor, so the towns get denser): looks per
    marker grow at most with the square root of the crowding, not with n as the spiral search did."""
    looks = []
    for n in (300, 1200):
        shelters = numbered(bench.prefecture_shelters(n, seed=2))
        c = Canvas("A4")
        frame = (20, 20, 500, 700)
        project = paper_map.Projection([(s["lon"], s["lat"]) for s in shelters], frame)
        placed = paper_map.number_shelters(shelters, project, frame, 6, 8)
        font = paper_map._marker_font(c, placed, frame)  # as render() sizes them: smaller when more
        occupied = paper_map._place_markers(c, placed, frame, font * 0.55 * 2.835, font)
        looks.append(occupied.looks / n)
        rects = sorted((s["mx"] - s["mw"] / 2, s["my"] - s["mh"] / 2, s["mx"] + s["mw"] / 2, s["my"] + s["mh"] / 2)
                       for s in placed)
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                if b[0] >= a[2]:
                    break
                assert not (a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01), "two markers overlap"
    assert looks[1] < looks[0] * 2.5, f"slot looks per marker grew from {looks[0]:.0f} to {looks[1]:.0f}"


def test_crowded_markers_are_moved_aside_so_no_number_hides_another():
    c = Canvas("A4")
    frame = (20, 20, 400, 400)
    shelters = [{"name": f"s{i}", "lat": 35.3, "lon": 139.55, "number": i + 1} for i in range(40)]  # one address
    project = paper_map.Projection([(139.50, 35.25), (139.60, 35.35)], frame)
    placed = paper_map.number_shelters(shelters, project, frame, 6, 6)
    paper_map._place_markers(c, placed, frame, 10, 7)
    rects = [(s["mx"] - s["mw"] / 2, s["my"] - s["mh"] / 2, s["mx"] + s["mw"] / 2, s["my"] + s["mh"] / 2)
             for s in placed]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), "two markers overlap"
    assert sum(s["moved"] for s in placed) == 39, "all but one get a leader line back to the true place"


@pytest.mark.parametrize("by", atlas.BY)
def test_atlas_has_an_overview_then_sheets_then_the_index_of_every_shelter(prefecture, by):
    pdf = atlas.render_atlas(prefecture, by=by, qr_url=PUBLIC, printed_at="2026-11-22T01:00:00+00:00")
    pages = pdf_pages(pdf)
    first = pdf_text(pdf, first=1, last=1)
    assert "全体図と図郭" in first and "→ p.2" in first
    assert qr_codes(pdf, first=1, last=1) == [[PUBLIC]]
    sheets = int(re.search(r"shelters on (\d+) sheets", first).group(1))
    assert 3 <= sheets < pages
    layout = pdf_text(pdf, layout=True, first=sheets + 2)
    listed = {int(n) for n in re.findall(r"(\d+)[空やこ混満確未準止閉]\s+\S+-[A-HJ-NP-Z]\d+\s", layout)}
    assert listed == {s["number"] for s in prefecture}, "the index continues over pages and lists every shelter"
    assert overlapping_runs(pdf) == []


def test_atlas_by_municipality_gives_each_code_of_the_kyotsu_id_its_sheet(prefecture):
    codes = sorted({atlas.municipality_code(s) for s in prefecture})
    pdf = atlas.render_atlas(prefecture, by="municipality")
    assert pdf_pages(pdf) >= 1 + len(codes)
    for page, code in enumerate(codes, 2):
        assert f"図郭 Sheet {code}" in pdf_text(pdf, first=page, last=page)


def test_a_sheet_shows_its_shelters_so_that_no_marker_hides_another(prefecture):
    pdf = atlas.render_atlas(prefecture, by="grid")
    for page in text_runs(pdf)[1:4]:
        markers = [r for r in page if re.fullmatch(r"\d+[空やこ混満確未準止閉]", r["text"].strip())]
        assert markers
        assert min(r["size"] for r in markers) >= 5, "markers stay readable"


def test_municipality_code_is_digits_two_to_six_of_the_kyotsu_id():
    assert atlas.municipality_code({"kyotsu_id": "E1420400001111"}) == "14204"
    assert atlas.municipality_code({"ref": "E2020100012113"}) == "20201"
    assert atlas.municipality_code({"kyotsu_id": ""}) == ""
