"""A ready-made notice prints as one sheet in every evacuee language, every script in an embedded font."""
import shutil
import subprocess
import unicodedata

import pytest

from offline_print import notice as sheet
from shelter_ops.domain import daylog, notices
from shelter_ops.languages import LANGUAGES

from checkin_helpers import open_shelter

REF = "E1420400001111"
VALUES = {"place": "正門", "time": "14:00"}


def texts(key="water_truck", values=VALUES):
    return [(language.code, language.endonym, str(notices.render(key, values, language.code))) for language in LANGUAGES]


def rendered(**kwargs):
    result = sheet.render(shelter_name="第一小学校", texts=texts(**kwargs), printed_at="2026-12-01 09:00")
    if result.missing:
        pytest.skip(f"no font for {result.missing} on this machine: apt-get install {sheet.PACKAGES}")
    return result


def poppler(tool, pdf, tmp_path):
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, str(path)] + (["-"] if tool == "pdftotext" else []), capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_every_language_is_on_the_sheet_in_a_font_that_has_all_its_characters():
    result = rendered()
    assert set(result.fonts) == {language.code for language in LANGUAGES}
    for code, _label, markup in texts():
        font = sheet._register(result.fonts[code], 0)
        text = sheet.TAG.sub("", sheet.RUBY.sub(r"\1\2", markup)).replace("正門", "")  # the blank is Japanese
        letters = "".join(ch for ch in text if ord(ch) > 127 and unicodedata.category(ch)[0] in "LM")
        assert sheet.covers(font, letters), f"{code}: {result.fonts[code]} lacks letters of {letters!r}"
        sheet._Block(code, "", markup, [font.fontName, sheet._japanese()[0]], 10, 500)  # raises on a character no font has


def test_every_font_on_the_sheet_is_embedded(tmp_path):
    listing = poppler("pdffonts", rendered().pdf, tmp_path).splitlines()[2:]
    assert len(listing) >= 6  # Japanese, Latin, Chinese, Hangul, Devanagari, Burmese
    assert all(line.split()[-5] == "yes" for line in listing), "\n".join(listing)


def test_the_sheet_reads_back_in_every_unshaped_script_with_furigana(tmp_path):
    text = " ".join(poppler("pdftotext", rendered().pdf, tmp_path).split())
    for expected in ("給水車が14:00に正門に来ます。", "A water truck comes to 正門 at 14:00.", "供水车将于14:00到达正門。",
                     "Xe chở nước sẽ đến 正門 lúc 14:00.", "급수차가 14:00에 正門에 옵니다.", "Um caminhão-pipa chega a"):
        assert expected in text, expected
    assert "みず" in text and "くるま" in text  # the furigana of やさしい日本語 is printed


def test_staff_print_a_published_notice_in_every_language(app, db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    item = daylog.add_announcement(db, shelter_a["id"], notice="water_truck", values=VALUES, actor="佐藤")
    staff = signed_in("staff", shelter_a)
    assert "sheet.pdf" in staff.get(f"/running/{REF}/announcements").get_data(as_text=True)
    response = staff.get(f"/running/{REF}/announcements/{item['id']}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and response.headers["X-Languages-Missing"] == ""
    free = daylog.add_announcement(db, shelter_a["id"], ja="自由文", actor="佐藤")
    assert staff.get(f"/running/{REF}/announcements/{free['id']}/sheet.pdf").status_code == 404
    assert app.test_client().get(f"/running/{REF}/announcements/{item['id']}/sheet.pdf").status_code == 302
