"""Paper in every language an evacuee reads (#14): the door poster's call to scan in all of them, the
household card's labels in the reader's language beside Japanese, every script in an embedded font
that has its glyphs (no tofu)."""
import pytest
from print_helpers import glyph_gaps, overlapping_runs, pdf_fonts, pdf_text, unembedded_fonts

from offline_print import bench, cards, fonts, labels, poster
from offline_print.pdf import ruby_parts

LANGUAGES = list(labels.languages())
SCRIPTS = {"vi": "latin", "ko": "hangul", "ne": "devanagari", "my": "myanmar", "zh-Hans": "hans"}
URL = "http://192.168.1.10:5000/door/E1420400003111"


def need_fonts(*scripts):
    missing = [s for s in scripts if fonts.script_font(s) is None]
    if missing:
        packages = " ".join(sorted({fonts.PACKAGES[s] for s in missing}))
        pytest.skip(f"no TrueType font for {', '.join(missing)}: apt-get install {packages} (.ci/run does)")


@pytest.fixture(scope="module")
def door_poster():
    need_fonts(*SCRIPTS.values())
    return poster.render(name="鎌倉市立第三小学校", name_en="Daisan Elementary School", url=URL, level="some",
                         state="open", municipality="鎌倉市")


def test_the_label_file_has_every_label_in_every_language_and_says_which_are_reviewed():
    table = labels.table()
    assert LANGUAGES[:3] == ["ja", "ja-easy", "en"] and len(LANGUAGES) == 11
    for key, entry in table.items():
        if key.startswith("_") or key.startswith("care."):
            continue
        assert set(entry) == set(LANGUAGES), f"{key} lacks {set(LANGUAGES) - set(entry)}"
    for lang in LANGUAGES:
        assert labels.reviewed(lang) == (lang == "ja"), "translations are unreviewed until a native speaker checks"
    assert "NOT reviewed" in table["_about"]


def test_door_poster_calls_to_scan_in_all_eleven_languages(door_poster):
    text = pdf_text(door_poster)
    for lang in LANGUAGES:
        if lang in ("ne", "my"):  # shaped scripts: their glyphs come back reordered from the PDF
            continue
        call = "".join(base for base, _ in ruby_parts(labels.text("poster.scan", lang)))
        assert call.replace("　", " ").split()[0] in text, f"{lang}: {call}"
    assert "うけつけ" in text, "やさしい日本語 carries furigana over its kanji"
    assert overlapping_runs(door_poster) == []


def test_every_script_on_the_poster_is_in_an_embedded_font_that_has_its_glyphs(door_poster):
    assert unembedded_fonts(door_poster) == []
    assert glyph_gaps(door_poster) == []
    from fontTools.ttLib import TTFont

    used = {name.split("+", 1)[-1] for name, _ in pdf_fonts(door_poster)}
    for script in SCRIPTS.values():
        family = TTFont(fonts.script_font(script).path, fontNumber=0, lazy=True)["name"].getDebugName(6)
        assert any(name.startswith(family) for name in used), f"no {script} font ({family}) embedded"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_blank_household_card_in_the_readers_language_beside_japanese(lang):
    need_fonts(*SCRIPTS.values())
    pdf = cards.render(numbers=["ABCD2EF"], shelter_name="第三小学校", lang=lang, **bench.vocabulary())
    assert unembedded_fonts(pdf) == []
    assert glyph_gaps(pdf) == []
    assert overlapping_runs(pdf) == []
    text = pdf_text(pdf)
    assert "氏名" in text and "安否確認への回答" in text, "Japanese is always there"
    flat = "".join(text.split())
    if lang not in ("ja", "ne", "my"):
        for key in ("card.name", "card.phone", "consent.never"):
            assert "".join(labels.text(key, lang).split()) in flat, f"{lang}: {key}"


def test_a_character_missing_from_every_font_is_caught_as_tofu(monkeypatch):
    monkeypatch.setattr(fonts, "SCRIPT_FONTS", {})
    monkeypatch.setattr(fonts, "_script_cache", {})
    monkeypatch.setattr(fonts, "_segment_cache", {})
    pdf = cards.render(numbers=["ABCD2EF"], shelter_name="第三小学校", lang="vi", **bench.vocabulary())
    gaps = glyph_gaps(pdf)
    assert gaps, "Vietnamese letters drawn in the Japanese font are boxes, and the check says so"


def test_unknown_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="vi"):
        cards.render(numbers=["ABCD2EF"], shelter_name="x", lang="xx", **bench.vocabulary())
