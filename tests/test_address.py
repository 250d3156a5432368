"""Addresses in one notation: the forms people write for the same place come out the same."""
import pytest
from hypothesis import given, settings, strategies as st

from shelter_ops.domain.address import both, kanji_number, normalize, same

SAME_PLACE = ["鎌倉市大船2丁目3番5号", "鎌倉市大船2の3の5", "鎌倉市大船2―3―5", "鎌倉市大船２－３－５",
              "鎌倉市大船二丁目三番五号", "鎌倉市大船2丁目3番地の5", "〒247-0056 鎌倉市大船2-3-5",
              "鎌倉市大船２丁目３－５", "鎌倉市 大船 2-3-5", "鎌倉市大船2ー3ー5", "鎌倉市大船2丁目-3-5"]


@pytest.mark.parametrize("written", SAME_PLACE)
def test_the_usual_notations_of_one_address_are_the_same(written):
    assert normalize(written) == "鎌倉市大船2-3-5"


@pytest.mark.parametrize("written, expected", [
    ("鎌倉市大字手広字上町123番地", "鎌倉市手広上町123"),  # 大字 and the 字 of a 小字 dropped
    ("鎌倉市字手広123", "鎌倉市手広123"),
    ("鎌倉市大字手広123", "鎌倉市手広123"),
    ("鎌倉市二階堂九百三十四番地", "鎌倉市二階堂934"),  # a kanji numeral inside a town name stays
    ("東京都千代田区三番町6番地", "東京都千代田区三番町6"),  # 三番町 is a town, not block 3
    ("港区六本木六丁目十番一号", "港区六本木6-10-1"),
    ("鎌倉市由比ヶ浜2-9-55", "鎌倉市由比ケ浜2-9-55"),
    ("鎌倉市大船2丁目", "鎌倉市大船2丁目"),  # a 丁目 alone keeps its word: "大船2" would mean 2番地
    ("大船2-3-5 鎌倉ハイツ101号室", "大船2-3-5 鎌倉ハイツ101号室"),  # the room number is not a block
    ("ｶﾏｸﾗｼ 2-3", "カマクラシ2-3"),  # half-width kana folded
    ("Kamakura 2-3", "Kamakura 2-3"),
    ("", ""), (None, ""),
])
def test_rules(written, expected):
    assert normalize(written) == expected


@pytest.mark.parametrize("kanji, number", [("一", 1), ("十", 10), ("十二", 12), ("二十三", 23), ("百五", 105),
                                           ("九百三十四", 934), ("千二百", 1200), ("二〇三", 203), ("参", 3)])
def test_kanji_numerals(kanji, number):
    assert kanji_number(kanji) == number


def test_the_original_is_kept_beside_the_normalised_text():
    assert both("大船２丁目３番") == {"original": "大船２丁目３番", "normalized": "大船2-3"}
    assert same("大船２丁目３番", "大船2の3") and not same("大船2-3", "大船2-4")


KANJI = "〇一二三四五六七八九"


def kanji_of(n):
    """n (1..99) as people write it in kanji: 二十三."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else KANJI[tens]) + "十" if tens else "") + (KANJI[ones] if ones else "")


def written_forms(numbers):
    """Ways to write 大船 a-b-c: the tests' own list, not the normaliser's rules."""
    a, b, c = numbers
    full = str.maketrans("0123456789-", "０１２３４５６７８９－")
    return [f"大船{a}-{b}-{c}", f"大船{a}丁目{b}番{c}号", f"大船{a}の{b}の{c}", f"大船{a}―{b}―{c}",
            f"大船{a}-{b}-{c}".translate(full), f"大船{kanji_of(a)}丁目{kanji_of(b)}番{kanji_of(c)}号",
            f"大船{a}丁目{b}番地の{c}", f"大船{a}丁目{b}-{c}", f"  大船  {a}-{b}-{c} "]


numbers = st.tuples(*[st.integers(min_value=1, max_value=99)] * 3)


@settings(max_examples=200, deadline=None)
@given(numbers)
def test_every_notation_of_a_generated_address_is_the_same(numbers):
    expected = "大船{}-{}-{}".format(*numbers)
    assert {normalize(form) for form in written_forms(numbers)} == {expected}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("鎌倉市大船字丁目番地号のノ-－―ー 〒ヶｶ0123456789０１２三十百")),
               max_size=30))
def test_normalising_twice_changes_nothing(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_normalised_without_error(text):
    assert isinstance(normalize(text), str)
