"""Every printed document, laid out with messy real-world data: no two text runs on a page overlap,
values sit in their cells under their labels, care needs are words, writing lines take a pen."""
import re

import pytest
from print_helpers import overlapping_runs, text_runs

from offline_print import atlas, bench, cards, floor, forms, poster, roster
from offline_print import map as paper_map
from reportlab.lib.units import mm
from shelter_ops.domain import households

LONG_NAME = "鎌倉市立第二中学校（旧校舎・体育館棟）地域防災拠点"
LONG_NAME_EN = "Kamakura City Daini (No. 2) Junior High School, old building and gymnasium"
SHELTER = {"name": LONG_NAME, "name_en": LONG_NAME_EN, "kyotsu_id": "E1420400003111", "municipality_code": "142042"}
PRINTED = "2026-11-22T03:04:00+00:00"
CARE = households.CARE_CODES
CODES = re.compile(r"\b(" + "|".join(CARE) + r")\b")
REPORT_DATA = {
    "eei_status": "開設 Open", "safety": "partly", "opened_at": "2026-11-21T22:15:00+00:00", "closed_at": None,
    "reason": "台風第10号の接近に伴う避難指示（警戒レベル4）", "capacity": 1234, "total": 1110, "men": 530,
    "women": 575, "other_sex": 5, "households": 402, "arrivals": 37, "departures": 12, "at_home": 48, "in_car": 19,
    "care_needs": {"ILL": 4, "PRG": 2, "INF": 31, "DIS": 6, "NUR": 9, "MED": 3, "ALG": 14, "FOR": 22, "ELD": 17},
    "sick": 4, "capacity_status": "crowded", "drinking_water": "short",
    "lifelines": {"electricity": "ok", "water": "partly", "gas": "out", "phone": "ok", "toilets": "partly"},
    "urgent": "毛布が200枚不足。\n発熱者等ゾーンの仕切りが足りない。",
}


def roster_zones():
    persons = [
        {"name": "鎌倉 太郎左衛門之助", "kana": "かまくら たろうざえもんのすけ", "sex": "男", "age": 44, "relation": "世帯主",
         "care": "医療機器（透析・酸素など）・乳幼児連れ", "health": "卵・乳・小麦・インスリン注射（毎食前）・刻み食"},
        {"name": "Nguyen Thi Thu Trang", "kana": "グエン ティ トゥ チャン", "sex": "女", "age": 27, "relation": "妻",
         "non_disclosure": True, "care": "妊娠中・授乳中", "health": ""},
    ]
    return [{"name": "体育館（北側・ステージ前）", "households": [{"number": "ABCD-2EF",
                                                          "checked_in_at": "2026-11-22T01:00:00+00:00",
                                                          "persons": persons}]}]


def floor_zones():
    kinds = [("general", "一般", "General"), ("care", "福祉避難スペース", "Care space"), ("fever", "発熱者等ゾーン", "Fever zone"),
             ("pets", "ペット", "Pets"), ("no_entry", "立入禁止", "No entry"), ("common", "共用", "Common")]
    return [{"name": f"{name}（{i + 1}）", "kind": kind, "kind_ja": ja, "kind_en": en, "capacity": 160 - i, "present": 42}
            for i, ((kind, ja, en), name) in enumerate(zip(kinds * 2, ["体育館アリーナ東側", "多目的室", "会議室A",
                                                                      "中庭テント", "理科室", "昇降口・受付"] * 2))]


def demo_map_shelters():
    return [dict(s, state=state, level=level) for s, state, level in zip(
        bench.prefecture_shelters(25, seed=3),
        ["open", "standby", "opening", "closing", "closed"] * 5,
        ["vacant", "some", "crowded", "full", None] * 5)]


DOCUMENTS = {
    "map A4": lambda: paper_map.render(demo_map_shelters(), qr_url="http://x.example/public/", printed_at=PRINTED),
    "map A3 landscape": lambda: paper_map.render(demo_map_shelters(), qr_url="http://x.example/public/", size="A3",
                                                 landscape=True, printed_at=PRINTED),
    "map of a prefecture": lambda: paper_map.render(bench.prefecture_shelters(400), qr_url="http://x.example/public/"),
    "atlas": lambda: atlas.render_atlas(bench.prefecture_shelters(200, seed=5), qr_url="http://x.example/public/",
                                        printed_at=PRINTED),
    "floor": lambda: floor.render(name=LONG_NAME, name_en=LONG_NAME_EN, zones=floor_zones(), printed_at=PRINTED),
    "poster": lambda: poster.render(name=LONG_NAME, name_en=LONG_NAME_EN, url="http://192.168.10.20:5000/door/E1420400003111",
                                    level="crowded", state="open", capacity=1234, municipality="鎌倉市",
                                    printed_at=PRINTED),
    "cards": lambda: cards.render(numbers=["ABCD2EF"], shelter_name=LONG_NAME, shelter_name_en=LONG_NAME_EN,
                                  care_codes=CARE, allergens=list(households.ALLERGENS), printed_at=PRINTED),
    "roster staff": lambda: roster.render(shelter_name=LONG_NAME, shelter_name_en=LONG_NAME_EN, zones=roster_zones(),
                                          printed_at=PRINTED),
    "roster lead": lambda: roster.render(shelter_name=LONG_NAME, shelter_name_en=LONG_NAME_EN, zones=roster_zones(),
                                         sensitive=True, printed_at=PRINTED),
    "report blank": lambda: forms.status_report(shelter=SHELTER, care_codes=CARE, printed_at=PRINTED),
    "report prefilled": lambda: forms.status_report(shelter=SHELTER, care_codes=CARE, report_no=12, data=REPORT_DATA,
                                                    reporter="lead-daini 鎌倉 一郎", printed_at=PRINTED),
    "supplies": lambda: forms.supply_request(shelter=SHELTER, printed_at=PRINTED, requests=[
        {"item": "飲料水（2Lペットボトル・6本入りケース）", "quantity": 1200.0, "unit": "ケース", "priority": "urgent",
         "wanted_by": "2026-11-23"}]),
    "daily log": lambda: forms.daily_log(shelter=SHELTER, day="2026-11-22", headcounts={"morning": 1088, "evening": 1110},
                                         arrivals=37, departures=12, printed_at=PRINTED,
                                         entries={"decision": ["消灯は22時"], "status": ["10:15 給水車到着"]}),
}


@pytest.fixture(scope="module")
def documents():
    return {}


def document(documents, name):
    if name not in documents:
        documents[name] = DOCUMENTS[name]()
    return documents[name]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_two_text_runs_overlap_on_any_page(documents, name):
    assert overlapping_runs(document(documents, name)) == []


@pytest.mark.parametrize("name", ["cards", "roster lead", "report blank", "report prefilled"])
def test_care_needs_are_printed_as_words_never_as_codes(documents, name):
    text = " ".join(r["text"] for page in text_runs(document(documents, name)) for r in page)
    assert not CODES.findall(text), f"codes on paper: {set(CODES.findall(text))}"
    if name != "roster lead":
        for ja, _ in CARE.values():
            assert ja in text


def _run(runs, text):
    found = [r for r in runs if r["text"].strip() == text]
    assert found, f"{text!r} is not on the page"
    return found[0]


def value_under(runs, label, *, cell_width):
    """The text written in the cell whose label is `label`: below the label, inside the cell."""
    head = _run(runs, label)
    return " ".join(r["text"].strip() for r in runs
                    if r["top"] > head["bottom"] + 4 and r["top"] < head["top"] + 13 * mm
                    and r["x0"] >= head["x0"] - 2 and r["x1"] <= head["x0"] + cell_width and r["size"] > 6)


def test_prefilled_report_writes_reporter_status_and_women_in_their_cells(documents):
    runs = text_runs(document(documents, "report prefilled"))[0]
    cell = (210 - 24) / 4 * mm
    assert value_under(runs, "報告者", cell_width=cell) == "lead-daini 鎌倉 一郎"
    assert value_under(runs, "開設状況", cell_width=cell) == "開設 Open"
    assert value_under(runs, "女", cell_width=cell) == "575"
    assert value_under(runs, "報告日時", cell_width=cell) == "2026-11-22 12:04"


def test_lead_roster_warning_has_a_line_of_its_own(documents):
    runs = text_runs(document(documents, "roster lead"))[0]
    warning = next(r for r in runs if r["text"].startswith("【非公開】の方の所在"))
    beside = [r for r in runs if r is not warning and r["bottom"] > warning["top"] and r["top"] < warning["bottom"]]
    assert beside == []


def test_household_card_writing_lines_take_a_handwritten_entry(documents):
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(document(documents, "cards"))) as pdf:
        for page, runs in zip(pdf.pages, text_runs(document(documents, "cards"))):
            lines = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 0.1 and 0.35 <= ln["linewidth"] <= 0.55]
            assert len(lines) >= 8
            for line in lines:
                assert line["x1"] - line["x0"] >= cards.WRITING_LINE - 0.5, f"a line of {(line['x1'] - line['x0']) / mm:.0f} mm"
                room = (line["x0"], line["top"] - cards.WRITING_HEIGHT, line["x1"], line["top"])
                crowding = [r["text"] for r in runs if r["x0"] < room[2] and r["x1"] > room[0]
                            and r["bottom"] - 0.1 * (r["bottom"] - r["top"]) > room[1] and r["top"] < room[3]]
                assert not crowding, f"text in the writing room of a line: {crowding}"


def test_card_labels_come_from_the_domains_vocabulary_not_a_copy():
    source = (cards.__file__)
    text = open(source, encoding="utf-8").read()
    assert "乳幼児" not in text and "INF" not in text
