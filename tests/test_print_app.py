"""Printing from the shelter's screens, HQ and the command line: PDFs built from the database."""
import pytest
from conftest import insert_shelter, shared_file
from print_helpers import japanese_font_embedded, pdf_pages, pdf_text, qr_codes

from shelter_ops.db import events
from shelter_ops.domain import households, shelters

PUBLIC_URL = "http://shelter.example.jp"


@pytest.fixture
def app(tmp_path):
    from shelter_ops import create_app

    return create_app({"DB": str(tmp_path / "test.sqlite"), "SECRET_KEY": "test", "DEMO": False, "TESTING": True,
                       "PUBLIC_URL": PUBLIC_URL})


@pytest.fixture
def open_shelter(db):
    return insert_shelter(db, "E1420400003111", "第三小学校", state="open",
                          zones=(("体育館", "general", 350.0), ("多目的室", "care", 35.0)))


def register(db, shelter, persons, zone_name="体育館"):
    zone = next(z for z in shelters.zones(db, shelter["id"]) if z["name"] == zone_name)
    return households.register(db, shelter["id"], {"zone_id": zone["id"]}, persons, actor="test", source="desk",
                               status="checked_in")


@pytest.fixture
def residents(db, open_shelter):
    register(db, open_shelter, [
        {"name": "鎌倉 太郎", "kana": "かまくら たろう", "sex": "male", "age": 44, "relation": "本人",
         "allergens": ["卵"], "medication": "降圧剤"},
        {"name": "鎌倉 花子", "kana": "かまくら はなこ", "sex": "female", "age": 41, "relation": "妻",
         "non_disclosure": True}])
    register(db, open_shelter, [{"name": "由比 浜子", "kana": "ゆい はまこ", "sex": "female", "age": 80,
                                 "care_codes": ["NUR"]}], zone_name="多目的室")
    return open_shelter


def is_pdf(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    return response.data


def test_every_shelter_screen_links_to_printing(signed_in, open_shelter):
    page = signed_in("staff", open_shelter).get("/shelters/E1420400003111").get_data(as_text=True)
    assert "/shelters/E1420400003111/print" in page
    printing = signed_in("lead", open_shelter).get("/shelters/E1420400003111/print").get_data(as_text=True)
    assert "ポスターを印刷" in printing and "カードを印刷" in printing
    assert "/shelters/E1420400003111/desk/roster" in printing  # back from paper: ticked check-outs


def test_door_poster_qr_opens_the_self_registration_page(signed_in, open_shelter):
    pdf = is_pdf(signed_in("staff", open_shelter).get("/shelters/E1420400003111/print/poster.pdf?size=A3"))
    url = f"{PUBLIC_URL}/door/E1420400003111"
    assert qr_codes(pdf) == [[url]]
    text = pdf_text(pdf)
    assert "第三小学校" in text and url in text and "受付へお越しください" in text
    assert japanese_font_embedded(pdf)


def test_floor_map_shows_the_zones_with_capacity_from_floor_area(signed_in, residents):
    text = pdf_text(is_pdf(signed_in("lead", residents).get("/shelters/E1420400003111/print/floor.pdf")))
    assert "体育館" in text and "多目的室" in text and "福祉避難スペース" in text
    assert "100人" in text  # 350 m² at 3.5 m² per person
    assert "現在 Now 2人" in text  # two persons placed in the gym


@pytest.mark.slow
def test_cards_reserve_a_block_of_numbers_and_print_each_in_its_qr(signed_in, db, open_shelter):
    session = signed_in("lead", open_shelter)
    page = session.get("/shelters/E1420400003111/print")
    pdf = is_pdf(session.post("/shelters/E1420400003111/print/cards.pdf", {"count": "3"}, page=page))
    reserved = [r[0] for r in db.execute("select number from reserved_numbers where shelter_id = ? order by rowid",
                                         [open_shelter["id"]])]
    assert len(reserved) == 3
    assert qr_codes(pdf) == [[number] for number in reserved for _side in ("front", "back")]
    text = pdf_text(pdf)
    assert all(f"{n[:4]}-{n[4:]}" in text for n in reserved)
    assert "避難者カード" in text


def test_cards_refuse_a_count_out_of_range(signed_in, open_shelter):
    session = signed_in("lead", open_shelter)
    response = session.post("/shelters/E1420400003111/print/cards.pdf", {"count": "0"})
    assert response.status_code == 400


def test_only_a_lead_or_hq_issues_card_numbers(signed_in, db, open_shelter):
    session = signed_in("staff", open_shelter)
    assert "カードを印刷" not in session.get("/shelters/E1420400003111/print").get_data(as_text=True)
    assert session.post("/shelters/E1420400003111/print/cards.pdf", {"count": "2"}).status_code == 403
    assert db.execute("select count(*) from reserved_numbers").fetchone()[0] == 0
    assert is_pdf(signed_in("hq").post("/shelters/E1420400003111/print/cards.pdf", {"count": "1"}))


def test_staff_roster_never_shows_non_disclosed_persons_or_health_details(signed_in, db, residents):
    text = pdf_text(is_pdf(signed_in("staff", residents).get("/shelters/E1420400003111/print/roster.pdf")))
    assert "職員用" in text
    assert "鎌倉 太郎" in text and "由比 浜子" in text
    assert "鎌倉 花子" not in text and "非公開】" not in text
    assert "降圧剤" not in text and "要介護" not in text and "卵" not in text
    assert "区画 Zone：体育館（1人）" in text and "区画 Zone：多目的室（1人）" in text


def test_lead_roster_marks_non_disclosed_persons_and_shows_care_needs(signed_in, db, residents):
    text = pdf_text(is_pdf(signed_in("lead", residents).get("/shelters/E1420400003111/print/roster.pdf")))
    assert "責任者用" in text
    assert "【非公開】鎌倉 花子" in text
    assert "降圧剤" in text and "要介護" in text and "NUR" not in text, "care needs in words, never as codes"
    assert "区画 Zone：体育館（2人）" in text
    logged = events(db, shelter_id=residents["id"], kind="print.roster")
    assert logged and logged[0]["actor"].startswith("lead")


def test_lead_can_print_the_plain_staff_copy(signed_in, residents):
    text = pdf_text(is_pdf(signed_in("lead", residents).get(
        "/shelters/E1420400003111/print/roster.pdf?edition=staff")))
    assert "職員用" in text and "鎌倉 花子" not in text


def test_staff_of_one_shelter_cannot_print_another_shelters_documents(signed_in, shelter_a, shelter_b):
    session = signed_in("staff", shelter_a)
    for doc in ("poster.pdf", "floor.pdf", "roster.pdf", "report.pdf", "supplies.pdf", "log.pdf", ""):
        url = f"/shelters/{shelter_b['kyotsu_id']}/print" + (f"/{doc}" if doc else "")
        assert session.get(url).status_code == 403, url
    assert session.post(f"/shelters/{shelter_b['kyotsu_id']}/print/cards.pdf", {"count": "2"}).status_code == 403


def test_printing_needs_a_signed_in_user(app, open_shelter):
    client = app.test_client()
    assert client.get("/shelters/E1420400003111/print/roster.pdf").status_code == 302
    assert client.get("/print/map.pdf").status_code == 302


def test_status_report_is_prefilled_from_live_counts(signed_in, residents):
    session = signed_in("lead", residents)
    text = pdf_text(is_pdf(session.get("/shelters/E1420400003111/print/report.pdf")))
    assert "避難所状況報告書" in text and "第1報" in text and "E1420400003111" in text
    assert "3" in text.split("避難者数（計）")[1][:80]
    assert "lead" in text.split("報告者")[1][:120], "the person printing is the reporter"
    assert "開設 Open" in text
    blank = pdf_text(is_pdf(session.get("/shelters/E1420400003111/print/report.pdf?blank=1")))
    assert "第1報" not in blank and "手書き用" in blank


def test_supply_request_lists_open_requests(signed_in, db, open_shelter):
    from shelter_ops.domain import supplies

    supplies.create_request(db, open_shelter["id"], item="毛布", quantity=50, unit="枚", priority="urgent",
                            actor="test")
    text = pdf_text(is_pdf(signed_in("staff", open_shelter).get("/shelters/E1420400003111/print/supplies.pdf")))
    assert "物資要請書" in text and "毛布" in text and "50" in text


def test_daily_log_page_carries_the_days_entries(signed_in, db, open_shelter):
    from shelter_ops.domain import clock, daylog

    daylog.add_entry(db, open_shelter["id"], kind="decision", text="消灯は22時とする", author="lead")
    text = pdf_text(is_pdf(signed_in("staff", open_shelter).get("/shelters/E1420400003111/print/log.pdf")))
    assert "運営日誌" in text and "消灯は22時とする" in text and clock.today() in text


def test_hq_prints_the_city_map_with_basemap_and_a_qr_to_the_public_page(app, signed_in, db, open_shelter):
    app.config["MAP_LAYERS"] = str(shared_file("kamakura_boundary.geojson"))
    insert_shelter(db, "E1420400009111", "非表示小学校", hidden=1)
    session = signed_in("hq")
    assert "印刷・紙マップ" in session.get("/hq/").get_data(as_text=True)
    assert "/print/map.pdf" in session.get("/hq/print").get_data(as_text=True)
    pdf = is_pdf(session.get("/print/map.pdf?size=A3&orientation=landscape"))
    assert qr_codes(pdf) == [[f"{PUBLIC_URL}/public/"]]
    text = pdf_text(pdf)
    assert "第三小学校" in text and "100人" in text
    assert "非表示小学校" not in text, "a shelter HQ hid never appears on a public printout"
    assert "出典：国土地理院" in text


def test_a_missing_basemap_file_does_not_stop_the_map(app, signed_in, open_shelter):
    app.config["MAP_LAYERS"] = "/nowhere/coast.geojson"
    with pytest.warns(UserWarning, match="MAP_LAYERS"):
        pdf = is_pdf(signed_in("hq").get("/print/map.pdf"))
    assert "第三小学校" in pdf_text(pdf)


@pytest.mark.parametrize("args, kind", [
    (["map", "--size", "A3"], "map"),
    (["poster", "E1420400003111"], "poster"),
    (["floor", "E1420400003111"], "floor"),
    (["cards", "E1420400003111", "-n", "2"], "cards"),
    (["roster", "E1420400003111", "--sensitive"], "roster"),
    (["report", "E1420400003111", "--blank"], "report"),
    (["supplies", "E1420400003111"], "supplies"),
    (["log", "E1420400003111"], "log"),
])
def test_print_command_writes_a_pdf(app, residents, tmp_path, args, kind):
    out = tmp_path / f"{kind}.pdf"
    result = app.test_cli_runner().invoke(args=["print", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and pdf_pages(data) >= 1
    assert japanese_font_embedded(data)


def test_print_command_names_an_unknown_shelter(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["print", "poster", "E9999999999999", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "E9999999999999" in result.output


def test_font_path_setting_pointing_nowhere_falls_back_with_a_notice(app, signed_in, open_shelter, monkeypatch):
    from offline_print import fonts

    monkeypatch.setattr(fonts, "SEARCH_PATHS", [])
    monkeypatch.setattr(fonts, "_cache", {})
    app.config["FONT_PATH"] = "/nowhere/BIZUDPGothic-Regular.ttf"
    pdf = is_pdf(signed_in("staff", open_shelter).get("/shelters/E1420400003111/print/poster.pdf"))
    assert not japanese_font_embedded(pdf)
    assert "Japanese font not embedded" in pdf_text(pdf)


def test_without_public_url_printed_codes_carry_the_address_the_request_came_in_on(app, signed_in, open_shelter):
    app.config["PUBLIC_URL"] = ""
    session = signed_in("lead", open_shelter)
    base = "http://localhost:8123"
    page = session.get("/shelters/E1420400003111/print", base_url=base).get_data(as_text=True)
    assert f"{base}/door/E1420400003111" in page and f"{base}/public/" in page, "the screen shows each QR's address"
    assert "SHELTER_OPS_PUBLIC_URL" in page
    poster = is_pdf(session.get("/shelters/E1420400003111/print/poster.pdf", base_url=base))
    assert qr_codes(poster) == [[f"{base}/door/E1420400003111"]]
    city = is_pdf(session.get("/print/map.pdf", base_url=base))
    assert qr_codes(city, first=1, last=1) == [[f"{base}/public/"]]


def test_print_screens_show_the_address_each_qr_code_will_carry(signed_in, open_shelter):
    page = signed_in("lead", open_shelter).get("/shelters/E1420400003111/print").get_data(as_text=True)
    assert f"{PUBLIC_URL}/door/E1420400003111" in page and f"{PUBLIC_URL}/public/" in page
    assert "SHELTER_OPS_PUBLIC_URL" not in page, "no warning when the setting is there"
    hq = signed_in("hq").get("/hq/print").get_data(as_text=True)
    assert f"{PUBLIC_URL}/public/" in hq and "地図帳を印刷" in hq


@pytest.mark.parametrize("args", [["poster", "E1420400003111"], ["map"], ["map", "--atlas"]])
def test_print_command_refuses_qr_documents_without_public_url_and_names_the_setting(tmp_path, args):
    from shelter_ops import create_app

    app = create_app({"DB": str(tmp_path / "cli.sqlite"), "SECRET_KEY": "test", "DEMO": False, "TESTING": True})
    assert app.config["PUBLIC_URL"] == "", "empty by default: no printed code points at 127.0.0.1"
    from shelter_ops.db import connect

    insert_shelter(connect(app.config["DB"]), "E1420400003111", "第三小学校", state="open")
    out = tmp_path / "x.pdf"
    result = app.test_cli_runner().invoke(args=["print", *args, "-o", str(out)])
    assert result.exit_code != 0 and not out.exists()
    assert "SHELTER_OPS_PUBLIC_URL" in result.output
    assert "QRコードの宛先がありません" in result.output and "No address for the QR codes" in result.output
    cards = app.test_cli_runner().invoke(args=["print", "cards", "E1420400003111", "-n", "1", "-o", str(out)])
    assert cards.exit_code == 0, "cards carry reception numbers, not addresses"


def test_the_map_numbers_each_shelter_as_the_public_page_does(app, signed_in, db):
    import re

    for kyotsu_id, name in (("E1420400003111", "あおば小学校"), ("E1420400001111", "わかば中学校"),
                            ("E1420400002111", "かえで公民館")):
        insert_shelter(db, kyotsu_id, name, state="open")
    page = app.test_client().get("/public/").get_data(as_text=True)
    on_screen = {}
    for kyotsu_id, number in re.findall(r'data-kyotsu="(E\d+)"[^>]*>\s*<span class="marker-no">(\d+)</span>', page):
        on_screen[kyotsu_id] = int(number)
    assert len(on_screen) == 3
    names = {"E1420400003111": "あおば小学校", "E1420400001111": "わかば中学校", "E1420400002111": "かえで公民館"}
    layout = pdf_text(is_pdf(signed_in("hq").get("/print/map.pdf")), layout=True)
    on_paper = {name: int(n) for n, name in re.findall(r"(\d+)[空やこ混満確未準止閉]\s+[A-HJ-NP-Z]\d+\s+(\S+)", layout)}
    assert {names[k]: n for k, n in on_screen.items()} == on_paper
    assert on_paper["わかば中学校"] == 1, "numbered by 共通ID, not by the name order of the list"


def test_hq_prints_the_atlas_from_the_screen_and_the_command(app, signed_in, open_shelter, tmp_path):
    pdf = is_pdf(signed_in("hq").get("/print/map.pdf?atlas=municipality"))
    assert "全体図と図郭" in pdf_text(pdf, first=1, last=1) and "図郭 Sheet 14204" in pdf_text(pdf)
    assert signed_in("hq").get("/print/map.pdf?atlas=nonsense").status_code == 400
    out = tmp_path / "atlas.pdf"
    result = app.test_cli_runner().invoke(args=["print", "map", "--atlas", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "全体図と図郭" in pdf_text(out.read_bytes(), first=1, last=1)


def test_cards_print_their_labels_in_the_language_chosen_at_print_time(app, signed_in, open_shelter, tmp_path):
    session = signed_in("lead", open_shelter)
    page = session.get("/shelters/E1420400003111/print")
    assert "Tiếng Việt" in page.get_data(as_text=True)
    pdf = is_pdf(session.post("/shelters/E1420400003111/print/cards.pdf", {"count": "1", "lang": "vi"}, page=page))
    assert "Họ và tên" in pdf_text(pdf)
    assert session.post("/shelters/E1420400003111/print/cards.pdf", {"count": "1", "lang": "xx"},
                        page=page).status_code == 400
    out = tmp_path / "cards.pdf"
    result = app.test_cli_runner().invoke(args=["print", "cards", "E1420400003111", "-n", "1", "--lang", "ko", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "이름" in pdf_text(out.read_bytes())
