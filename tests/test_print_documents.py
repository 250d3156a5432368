"""Paper documents from plain data (offline_print): the text, the font and every QR code read back."""
import json
import random
import re
import subprocess
import sys

import pytest
from conftest import shared_file
from print_helpers import japanese_font_embedded, pdf_fonts, pdf_pages, pdf_text, qr_codes, render_png

from offline_print import cards, floor, fonts, forms, geo, poster, roster
from offline_print import map as paper_map
from offline_print.pdf import Canvas
from shelter_ops.domain import households

VOCABULARY = {"care_codes": households.CARE_CODES, "allergens": list(households.ALLERGENS)}

DEMO = json.loads((__import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "demo" /
                   "kamakura.json").read_text(encoding="utf-8"))
PUBLIC = "http://shelter.example.jp/public/"


def demo_shelters():
    levels = ["vacant", "some", "crowded", "full", None]
    return [{"name": s["name"], "name_en": s["name_en"], "lat": s["lat"], "lon": s["lon"],
             "state": "open" if i % 3 else "standby", "level": levels[i % 5], "capacity": 100 + i}
            for i, s in enumerate(DEMO["shelters"])]


def generated_shelters(n, seed=1):
    rng = random.Random(seed)
    return [{"name": f"避難所{i:04d}", "lat": 35.28 + rng.random() * 0.08, "lon": 139.50 + rng.random() * 0.10,
             "state": rng.choice(["open", "standby"]), "level": rng.choice(["vacant", "some", "full"]),
             "capacity": rng.randint(20, 900)} for i in range(1, n + 1)]


def test_offline_print_imports_nothing_from_flask_or_the_database():
    code = ("import sys, offline_print, offline_print.map, offline_print.poster, offline_print.floor, "
            "offline_print.cards, offline_print.roster, offline_print.forms, offline_print.geo; "
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlite3', '_sqlite3', 'sqlite_utils', 'shelter_ops', 'werkzeug'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_map_shows_numbered_shelters_grid_scale_attribution_and_a_qr_to_the_live_page():
    pdf = paper_map.render(demo_shelters(), qr_url=PUBLIC, printed_at="2026-11-22T01:00:00+00:00",
                           data_date="2026-11-21T23:30:00+00:00", title="鎌倉市 避難所マップ")
    text = pdf_text(pdf)
    for shelter in DEMO["shelters"]:
        assert shelter["name"] in text
    assert "鎌倉市 避難所マップ" in text
    assert "出典：国土地理院" in text
    assert re.search(r"1:[\d,]+", text), "the scale is given as 1:N"
    assert re.search(r"\d+ (m|km)\b", text), "the scale bar has a round length"
    assert "2026-11-22 10:00" in text and "2026-11-22 08:30" in text  # print time and data date, Japan time
    assert "凡例" in text and "空いています" in text and "未開設" in text
    assert "100人" in text  # capacity beside the name
    assert japanese_font_embedded(pdf)
    assert qr_codes(pdf) == [[PUBLIC]]


def test_map_index_lists_every_number_with_its_grid_square():
    layout = pdf_text(paper_map.render(demo_shelters(), qr_url=PUBLIC), layout=True)
    rows = re.findall(r"(\d+)[空やこ混満確未準止閉]\s+([A-HJ-NP-Z])(\d+)\s+(\S+)", layout)
    assert sorted(int(n) for n, *_ in rows) == list(range(1, len(DEMO["shelters"]) + 1))


def test_map_with_1500_shelters_lists_every_number_in_the_index_across_pages():
    shelters = generated_shelters(1500)
    pdf = paper_map.render(shelters, qr_url=PUBLIC, size="A4")
    pages = pdf_pages(pdf)
    assert pages > 1, "the index continues on further pages"
    layout = pdf_text(pdf, layout=True)
    numbers = {int(n) for n in re.findall(r"(\d+)[空やこ混満確未準止閉]\s+[A-HJ-NP-Z]\d+\s+避難所\d{4}", layout)}
    assert numbers == set(range(1, 1501))
    assert "（続き）" in pdf_text(pdf, first=2, last=2)


def test_map_draws_a_boundary_layer_from_geojson_and_keeps_markers_readable():
    layer = geo.read_layer(shared_file("kamakura_boundary.geojson"))
    assert layer["kind"] == "boundary" and layer["geometries"][0]["type"] == "MultiPolygon"
    pdf = paper_map.render(demo_shelters(), layers=[layer], qr_url=PUBLIC)
    image = render_png(pdf, dpi=40)
    land = sum(count for count, colour in image.getcolors(1 << 20) if colour == (246, 243, 232))
    assert land > 2000, "the city's land is filled"
    assert qr_codes(pdf) == [[PUBLIC]]


@pytest.mark.parametrize("geometry, expected", [
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, [True]),
    ({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[2, 2], [3, 2], [3, 3], [2, 2]],
                                                                                     [[2.1, 2.1], [2.2, 2.1], [2.2, 2.2], [2.1, 2.1]]]]},
     [True, True, True]),
    ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, [False]),
    ({"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]}, [False, False]),
    ({"type": "Point", "coordinates": [0, 0]}, []),
])
def test_basemap_geometries_become_rings_and_lines(geometry, expected):
    assert [closed for closed, _ in geo.rings(geometry)] == expected


def test_basemap_kind_comes_from_the_file_name(tmp_path):
    roads = tmp_path / "kamakura_roads.geojson"
    roads.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                           "coordinates": [[139.52, 35.30], [139.56, 35.33]]}}]}))
    layer = geo.read_layer(roads)
    assert layer["kind"] == "roads"
    pdf = paper_map.render(demo_shelters(), layers=[layer], landscape=True, size="A3", qr_url=PUBLIC,
                           sites=[{"name": "由比ガ浜", "lat": 35.308, "lon": 139.54, "hazards": ["tsunami", "earthquake"]}])
    text = pdf_text(pdf)
    assert "指定緊急避難場所" in text and "津=津波" in text
    assert qr_codes(pdf) == [[PUBLIC]]


def test_door_poster_has_names_the_registration_qr_and_the_no_phone_line():
    url = "http://shelter.example.jp/door/E1420400003111"
    pdf = poster.render(name="第三小学校", name_en="Daisan Elementary School", url=url, level="some",
                        state="open", capacity=220, municipality="鎌倉市", printed_at="2026-11-22T03:04:00+00:00")
    text = pdf_text(pdf)
    assert "第三小学校" in text and "Daisan Elementary School" in text
    assert url in text
    assert "スマートフォンをお持ちでない方は受付へお越しください" in text
    assert "やや混雑" in text and "2026-11-22 12:04" in text
    assert japanese_font_embedded(pdf)
    assert qr_codes(pdf) == [[url]]


def test_a3_poster_is_the_same_poster_larger():
    url = "http://x.example/door/E1"
    pdf = poster.render(name="第一小学校", url=url, size="A3", state="standby")
    assert "未開設" in pdf_text(pdf)
    assert qr_codes(pdf) == [[url]]


def test_floor_map_shows_each_zone_with_kind_capacity_and_count():
    zones = [{"name": "体育館", "kind": "general", "kind_ja": "一般", "kind_en": "General", "capacity": 160,
              "present": 42},
             {"name": "会議室", "kind": "fever", "kind_ja": "発熱者等ゾーン", "kind_en": "Fever zone", "capacity": 12,
              "present": 1}]
    text = pdf_text(floor.render(name="第三小学校", zones=zones))
    for expected in ("体育館", "一般", "160人", "42人", "会議室", "発熱者等ゾーン", "12人"):
        assert expected in text


def test_household_cards_carry_their_number_in_words_and_in_a_qr():
    numbers = ["ABCD2EF", "XYZ2345", "Q7R8S9T"]
    pdf = cards.render(numbers=numbers, shelter_name="第三小学校", shelter_name_en="Daisan", **VOCABULARY)
    assert pdf_pages(pdf) == 6, "front and back of each card"
    assert qr_codes(pdf) == [[n] for n in numbers for _side in (1, 2)]
    text = pdf_text(pdf)
    for n in numbers:
        assert f"{n[:4]}-{n[4:]}" in text
    for heading in ("避難者カード", "安否確認への回答", "家族のみ", "一切回答しない", "住家の被害", "要配慮", "アレルギー",
                    "落花生", "Emergency contact outside the area", "乳幼児連れ", "With infants"):
        assert heading in text


def test_roster_staff_copy_prints_what_it_is_given_with_tick_boxes_by_zone():
    zones = [{"name": "体育館", "households": [{"number": "ABCD-2EF", "checked_in_at": None, "persons": [
        {"name": "鎌倉 太郎", "kana": "かまくら たろう", "sex": "男", "age": 44, "relation": "本人"}]}]}]
    text = pdf_text(roster.render(shelter_name="第三小学校", zones=zones))
    assert "避難者名簿" in text and "職員用" in text and "区画 Zone：体育館（1人）" in text
    assert "鎌倉 太郎" in text and "退所✓" in text
    assert "要配慮" not in text


def test_roster_of_2000_people_continues_over_pages():
    zones = [{"name": f"区画{z}", "households": [
        {"number": f"N{z}{h:03d}", "checked_in_at": None, "persons": [
            {"name": f"避難 者{z}-{h}-{p}", "kana": "ひなん", "sex": "女", "age": 30, "relation": ""} for p in range(4)]}
        for h in range(100)]} for z in range(5)]
    pdf = roster.render(shelter_name="第三小学校", zones=zones)
    assert pdf_pages(pdf) > 50
    text = pdf_text(pdf)
    assert "避難 者4-99-3" in text and "2000人" in text


def test_status_report_blank_and_prefilled():
    shelter = {"name": "第三小学校", "kyotsu_id": "E1420400003111", "municipality_code": "142042"}
    blank = pdf_text(forms.status_report(shelter=shelter, care_codes=households.CARE_CODES))
    assert "避難所状況報告書" in blank and re.search(r"第\s+報", blank) and "E1420400003111" in blank
    for field in ("避難者数（計）", "世帯数", "ライフライン", "飲料水", "緊急を要する事項", "Urgent matters"):
        assert field in blank
    filled = pdf_text(forms.status_report(shelter=shelter, care_codes=households.CARE_CODES, report_no=3, data={"total": 123, "men": 60, "women": 63,
                                                                               "urgent": "毛布が不足"}))
    assert "第3報" in filled and "123" in filled and "毛布が不足" in filled


def test_supply_request_and_daily_log_forms():
    shelter = {"name": "第三小学校", "kyotsu_id": "E1420400003111"}
    text = pdf_text(forms.supply_request(shelter=shelter, requests=[
        {"item": "飲料水（2L）", "quantity": 120.0, "unit": "本", "priority": "urgent", "wanted_by": "2026-11-23"}]))
    assert "物資要請書" in text and "飲料水（2L）" in text and "120" in text and "2026-11-23" in text
    log = pdf_text(forms.daily_log(shelter=shelter, day="2026-11-22", headcounts={"morning": 88},
                                   entries={"decision": ["消灯は22時"]}))
    assert "運営日誌" in log and "2026-11-22" in log and "88" in log and "消灯は22時" in log
    assert "引継ぎ事項" in log and "物資の受入・配布" in log


def test_without_a_truetype_font_the_page_says_the_font_is_not_embedded(monkeypatch):
    monkeypatch.setattr(fonts, "SEARCH_PATHS", [])
    monkeypatch.setattr(fonts, "_cache", {})
    pdf = poster.render(name="第一小学校", url="http://x.example/door/E1", font_path="/nowhere/font.ttf")
    assert not japanese_font_embedded(pdf)
    assert ("HeiseiKakuGo-W5", False) in pdf_fonts(pdf)
    assert "Japanese font not embedded" in pdf_text(pdf)


def test_a_japanese_truetype_font_is_found_and_embedded_on_this_machine():
    font = fonts.load("")
    assert font.embedded, "install fonts-ipaexfont-gothic (Debian) or BIZ UDPGothic"
    assert japanese_font_embedded(poster.render(name="第一小学校", url="http://x.example/door/E1"))


def test_a_long_day_still_fits_the_log_page_and_says_the_rest_is_on_screen():
    many = [f"決定事項その{i}：配布の順番と場所を決めた。" * 3 for i in range(80)]
    pdf = forms.daily_log(shelter={"name": "第三小学校"}, day="2026-11-22", entries={"decision": many})
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    assert "決定事項その0" in text and "続きは画面の記録" in text
