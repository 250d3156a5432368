"""Reception numbers: a garbled or mistyped number is refused, never matched to another household."""
import random

import pytest
from hypothesis import given, strategies as st

from shelter_ops.domain import codes
from shelter_ops.domain.errors import Invalid


def sample_codes(n=200, seed=7):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.BODY_LENGTH))
        out.append(body + codes.check_char(body))
    return out


def test_numbers_use_no_ambiguous_characters():
    assert not set("01OIZ") & set(codes.ALPHABET)
    assert all(ch.isdigit() or ch.isupper() for ch in codes.ALPHABET)


def test_the_check_character_catches_every_single_character_substitution():
    for code in sample_codes():
        assert codes.is_valid(code)
        for i in range(len(code)):
            for ch in codes.ALPHABET:
                if ch != code[i]:
                    wrong = code[:i] + ch + code[i + 1:]
                    assert not codes.is_valid(wrong), (code, wrong)


def test_the_check_character_catches_every_transposition_of_two_characters():
    for code in sample_codes():
        for i in range(len(code)):
            for j in range(i + 1, len(code)):
                if code[i] != code[j]:
                    swapped = list(code)
                    swapped[i], swapped[j] = swapped[j], swapped[i]
                    assert not codes.is_valid("".join(swapped)), (code, i, j)


def test_a_dropped_or_extra_character_is_refused():
    code = sample_codes(1)[0]
    with pytest.raises(Invalid):
        codes.validate(code[:-1])
    with pytest.raises(Invalid):
        codes.validate(code + "2")


def test_full_width_lower_case_spaces_and_hyphens_are_folded():
    code = sample_codes(1)[0]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())
    assert codes.validate(full_width[:3] + "ー " + full_width[3:]) == code
    assert codes.validate(codes.display(code)) == code


def test_a_refusal_says_why_in_japanese_and_english():
    with pytest.raises(Invalid) as refused:
        codes.validate("ABCDEF0")
    assert "0" in refused.value.ja and "0" in refused.value.en


@given(st.text(alphabet=codes.ALPHABET, min_size=codes.BODY_LENGTH, max_size=codes.BODY_LENGTH),
       st.sampled_from(["upper", "lower", "wide", "hyphen"]))
def test_any_number_survives_how_it_is_typed(body, how):
    code = body + codes.check_char(body)
    typed = {"upper": code, "lower": code.lower(), "wide": "".join(chr(ord(c) + 0xFEE0) for c in code),
             "hyphen": codes.display(code)}[how]
    assert codes.validate(typed) == code


@given(st.text(max_size=20))
def test_validate_returns_a_valid_number_or_refuses(text):
    try:
        code = codes.validate(text)
    except Invalid:
        return
    assert codes.is_valid(code) and code == codes.normalize(code)


@given(st.text(max_size=30))
def test_normalize_is_idempotent(text):
    assert codes.normalize(codes.normalize(text)) == codes.normalize(text)


def test_reserved_paper_card_numbers_are_unique_and_valid(app, db, shelter_a):
    numbers = codes.reserve_block(db, shelter_a["id"], 300, actor="lead")
    assert len(set(numbers)) == 300
    assert all(codes.is_valid(n) for n in numbers)
    assert codes.reserved(db, numbers[0])["shelter_id"] == shelter_a["id"]


def test_two_installs_never_issue_the_same_number(db):
    """HQ keeps 7-character numbers; a node issues 9 that start with its own prefix (SYNC.md)."""
    hq = {codes.new_number(db) for _ in range(200)}
    codes.set_number_prefix(db, "K3")
    node = {codes.new_number(db) for _ in range(200)}
    assert all(len(n) == codes.LENGTH for n in hq) and all(n.startswith("K3") and len(n) == 9 for n in node)
    assert all(codes.validate(codes.display(n)) == n for n in hq | node)
    assert codes.set_number_prefix(db, "") == "" and len(codes.new_number(db)) == codes.LENGTH
