"""Evacuees read their pages in eleven languages; staff screens stay Japanese and English."""
import re

import pytest
from babel.messages.pofile import read_po

from shelter_ops import i18n, languages
from shelter_ops.languages import EVACUEE_DOMAIN, LANGUAGES, TRANSLATIONS

from conftest import csrf_from

EVACUEE_LANGUAGES = [language for language in LANGUAGES if language.code not in ("ja", "en")]
KANA = re.compile(r"[\u3040-\u30ff]")
KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
REF = "E1420400001111"


def catalog(locale, domain=EVACUEE_DOMAIN):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def expected_ids():
    """What every evacuee language must have: Japanese's evacuee entries and the domain's words."""
    return set(catalog("ja")) | set(i18n.evacuee_vocabulary())


@pytest.fixture
def open_shelter(db):
    from conftest import insert_shelter

    return insert_shelter(db, REF, "第一小学校", state="open")


@pytest.mark.parametrize("language", EVACUEE_LANGUAGES, ids=lambda l: l.code)
def test_every_language_has_every_entry_japanese_has(language):
    entries = catalog(language.locale)
    missing = sorted(msgid for msgid in expected_ids() if not (entries.get(msgid) and entries[msgid].string))
    assert not missing, f"translate these in translations/{language.locale}/LC_MESSAGES/{EVACUEE_DOMAIN}.po: {missing}"
    unused = sorted(set(entries) - expected_ids())
    assert not unused, f"no evacuee page shows these any more; remove them: {unused}"


@pytest.mark.parametrize("language", EVACUEE_LANGUAGES, ids=lambda l: l.code)
def test_every_entry_keeps_its_blanks_and_says_whether_it_was_reviewed(language):
    for msgid, message in catalog(language.locale).items():
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", message.string)), msgid
        reviewed = any(c.lower().startswith(languages.REVIEWED_BY) for c in message.user_comments)
        assert (languages.UNREVIEWED in message.flags) != reviewed, \
            f"{language.code} {msgid!r}: flag it `unreviewed`, or (once checked) replace the flag by '# reviewed-by: …'"


def test_easy_japanese_has_furigana_on_every_kanji():
    bare = {}
    for msgid, message in catalog("ja@easy").items():
        without_ruby = re.sub(r"<ruby>.*?</ruby>", "", message.string)
        if KANJI.search(without_ruby):
            bare[msgid] = message.string
        for base, reading in re.findall(r"<ruby>(.*?)<rp>\(</rp><rt>(.*?)</rt>", message.string):
            assert KANJI.search(base) and not KANJI.search(reading), (msgid, base, reading)
    assert not bare, f"kanji without <ruby> furigana: {bare}"


def test_a_review_is_counted_per_entry(tmp_path, monkeypatch):
    po = tmp_path / "vi" / "LC_MESSAGES" / "evacuee.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  '# reviewed-by: Nguyen, 2026-12-01\nmsgid "Send"\nmsgstr "Gửi"\n\n'
                  '#, unreviewed\nmsgid "Name"\nmsgstr "Họ tên"\n', encoding="utf-8")
    monkeypatch.setattr(languages, "TRANSLATIONS", tmp_path)
    assert languages.review_status("vi") == (2, 1) and not languages.fully_reviewed("vi")


def test_the_browser_language_is_preselected_and_the_switch_is_remembered(app, open_shelter):
    client = app.test_client()
    page = client.get(f"/door/{REF}", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng ký tại" in page and not KANA.search(_main(page).replace("第一小学校", ""))
    switched = client.get("/lang/ne", headers={"Referer": f"http://localhost/door/{REF}"})
    assert switched.status_code == 302 and "lang=ne" in switched.headers["Set-Cookie"]
    page = client.get(f"/door/{REF}", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert '<html lang="ne">' in page and "दर्ता" in page


def test_the_language_never_follows_the_address(app, open_shelter):
    pages = [app.test_client().get(f"/door/{REF}", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
             for address in ("203.0.113.5", "27.72.0.1", "103.10.28.1")]  # JP, VN, NP addresses
    assert all('<html lang="ja">' in p for p in pages)


def test_the_switch_names_each_language_in_itself_and_flags_unreviewed_ones(app, open_shelter):
    page = app.test_client().get(f"/door/{REF}?lang=en").get_data(as_text=True)
    switch = page[page.index('class="language-switch"'):page.index("</nav>", page.index('class="language-switch"'))]
    for language in LANGUAGES:
        assert f'data-lang="{language.code}"' in switch and language.endonym in switch
    assert "chưa được người bản ngữ kiểm tra" in switch  # Vietnamese says, in Vietnamese, it is unreviewed
    english = switch[switch.index('data-lang="en"'):switch.index("</a>", switch.index('data-lang="en"'))]
    assert "unreviewed" not in english  # English and Japanese are the source


def test_staff_screens_stay_in_japanese_or_english(app):
    client = app.test_client()
    client.get("/lang/vi")
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.get("/lang/ja-easy")
    page = client.get("/login").get_data(as_text=True)
    assert "ログイン" in page and "<ruby>" not in page
    assert "ログイン" in app.test_client().get("/login", headers={"Accept-Language": "ko"}).get_data(as_text=True)


def test_a_refused_door_form_tells_the_resident_in_their_language_and_staff_in_japanese(app, open_shelter):
    client = app.test_client()
    form_page = client.get(f"/door/{REF}?lang=vi")
    response = client.post(f"/door/{REF}?lang=vi", data={"p0_name": "Nguyen Van A", "p0_age": "ba mươi",
                                                         "csrf_token": csrf_from(form_page)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hãy nhập tuổi bằng số: ba mươi" in page and "年齢は数字で入力してください: ba mươi" in page


def test_easy_japanese_errors_keep_their_furigana_and_escape_what_was_typed(app, open_shelter):
    client = app.test_client()
    form_page = client.get(f"/door/{REF}?lang=ja-easy")
    page = client.post(f"/door/{REF}?lang=ja-easy", data={"p0_name": "山田", "p0_age": "<b>x</b>",
                                                           "csrf_token": csrf_from(form_page)}).get_data(as_text=True)
    assert "<ruby>数字<rp>(</rp><rt>すうじ</rt>" in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_api_answers_message_in_the_language_asked_and_keeps_ja_and_en(app, db, api, open_shelter):
    client = api("staff", open_shelter)
    family = {"household": {"consent": "family"}, "persons": [{"name": "Silva", "sex": "male", "age": 200}]}
    error = client.post(f"/api/v1/shelters/{REF}/checkins", json=family,
                        headers={"Accept-Language": "pt-BR,pt;q=0.9"}).json["error"]
    assert error["message"] == "A idade não parece correta: 200"
    assert error["message_ja"] == "年齢が正しくありません: 200"
    assert error["message_en"] == "The age is not plausible: 200"
    assert error["message_id"] == "The age is not plausible: %(age)s" and error["message_params"] == {"age": "200"}


def test_a_domain_error_reads_the_same_in_every_language_code():
    from shelter_ops.domain.errors import Invalid, N_

    error = Invalid(N_("A household has at most %(n)s persons."), params={"n": 30})
    assert error.ja == "1世帯は30人までです。" and str(error) == "A household has at most 30 persons."
    assert error.message("ko") == "한 가구는 최대 30명입니다." and error.message("ja-easy").startswith("1つの 家族は")
    assert Invalid("古い形", "old form").message("vi") == "old form"  # pairs answer English to other languages


def test_without_compiled_catalogs_the_app_says_which_command_to_run(tmp_path, monkeypatch):
    from shelter_ops import create_app

    po = tmp_path / "ja" / "LC_MESSAGES" / "core.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n', encoding="utf-8")
    monkeypatch.setattr(languages, "TRANSLATIONS", tmp_path)
    with pytest.raises(i18n.CatalogsMissing, match="make setup"):
        create_app({"DB": str(tmp_path / "t.sqlite"), "SECRET_KEY": "x", "DEMO": False, "TESTING": True})


def _main(page):
    return re.sub(r"<[^>]+>", " ", page[page.index("<main>"):page.index("</main>")])


def test_the_status_feed_names_each_level_in_every_language(app):
    labels = app.test_client().get("/public/status.json").json["level_labels"]
    assert labels["crowded"]["ja"] == "混雑" and labels["crowded"]["en"] == "Crowded"
    assert labels["crowded"]["vi"] == "Đông" and labels["stale"]["ne"] == "जाँच हुँदै"
    assert labels["full"]["ja-easy"] == "いっぱいです"
    assert all(set(words) == {language.code for language in LANGUAGES} for words in labels.values())
