"""Safety inquiries: the consent and the inquirer's relation decide; 非公開 says nothing; all logged."""
import pytest

from closing_helpers import family, open_shelter
from shelter_ops.domain import inquiries

HIDDEN = (("腰越秘子", "こしごえひでこ", "female", "1990-03-03", []),)
PLAIN = (("長谷健", "はせけん", "male", "1975-07-07", ["ILL"]),)


def ask(api_client, name, relation="household", **extra):
    return api_client.post("/api/v1/inquiries", json={"name": name, "relation": relation, "inquirer_name": "問合せ者",
                                                      "inquirer_contact": "03-0000-0000", **extra})


def test_a_non_disclosure_person_is_indistinguishable_from_an_unknown_name(db, shelter_a, api):
    open_shelter(db, shelter_a)
    family(db, shelter_a, consent="public", non_disclosure=True, people=HIDDEN)
    hq = api("hq")
    hidden = ask(hq, "腰越秘子")
    unknown = ask(hq, "存在しない名前")
    assert hidden.status_code == unknown.status_code == 200
    assert hidden.data == unknown.data
    assert hidden.get_json()["answers"] == []


def test_both_paths_do_the_same_work(db, shelter_a):
    """The timing class: the same SQL statements, in the same order, for a hidden person and an unknown name."""
    open_shelter(db, shelter_a)
    family(db, shelter_a, consent="public", non_disclosure=True, people=HIDDEN)
    traces = []
    for name in ("腰越秘子", "存在しない名前"):
        statements = []
        db.conn.set_trace_callback(statements.append)
        result = inquiries.ask(db, {"name": name, "relation": "household", "inquirer_name": "x"}, operator="hq")
        db.conn.set_trace_callback(None)
        traces.append(([s.split("(")[0].split(" where ")[0] for s in statements], result["answers"],
                       result["message"]))
    assert traces[0][0] == traces[1][0] and len(traces[0][0]) >= 3
    assert traces[0][1:] == traces[1][1:]


def test_the_html_answer_for_a_hidden_person_is_the_unknown_names(db, shelter_a, signed_in):
    import re

    open_shelter(db, shelter_a)
    family(db, shelter_a, consent="public", non_disclosure=True, people=HIDDEN)
    hq = signed_in("hq")
    form = {"relation": "household", "inquirer_name": "問合せ者"}
    pages = [hq.post("/hq/inquiries/", {**form, "name": name}) for name in ("腰越秘子", "存在しない名前")]
    assert pages[0].status_code == pages[1].status_code == 200
    strip = [re.sub(r'((?:csrf[-_]token|_once)"? (?:content|value)=)"[^"]+"', r"\1", p.get_data(as_text=True))
             for p in pages]
    assert strip[0] == strip[1]
    assert "腰越" not in strip[0]


@pytest.mark.parametrize("consent, relation, expect", [
    ("none", "household", None),
    ("family", "household", {"safe", "injured_or_ill", "shelter"}),
    ("family", "relative", {"safe", "injured_or_ill"}),
    ("family", "acquaintance", None),
    ("acquaintances", "acquaintance", {"safe"}),
    ("acquaintances", "other", None),
    ("public", "other", {"safe", "shelter"}),
    ("public", "household", {"safe", "injured_or_ill", "shelter"}),
])
def test_consent_and_relation_decide_what_is_told(db, shelter_a, api, consent, relation, expect):
    open_shelter(db, shelter_a)
    family(db, shelter_a, consent=consent, people=PLAIN)
    answers = ask(api("hq"), "長谷健", relation).get_json()["answers"]
    if expect is None:
        assert answers == []
    else:
        (answer,) = answers
        told = {key for key in answer if key not in ("name", "left")}
        assert told == expect
        if "injured_or_ill" in expect:
            assert answer["injured_or_ill"] is True
        if "shelter" in expect:
            assert answer["shelter"]["kyotsu_id"] == "E1420400001111" and answer["left"] is False


def test_search_by_kana_and_birth_year_across_shelters(db, shelter_a, shelter_b, api):
    open_shelter(db, shelter_a)
    open_shelter(db, shelter_b)
    family(db, shelter_a, consent="family", people=PLAIN)
    family(db, shelter_b, consent="family", phone="0467-11-1111",
           people=(("長谷健", "はせけん", "male", "2001-01-01", []),))
    hq = api("hq")
    assert len(ask(hq, "ハセ ケン").get_json()["answers"]) == 2
    (only,) = ask(hq, "はせけん", birth_year=1975).get_json()["answers"]
    assert only["shelter"]["kyotsu_id"] == "E1420400001111"
    assert ask(hq, "長谷", birth_year=1975).get_json()["answers"] == []  # a full name, not a part


def test_every_inquiry_is_logged_without_the_hidden_fact(db, shelter_a, api, signed_in):
    open_shelter(db, shelter_a)
    family(db, shelter_a, consent="public", non_disclosure=True, people=HIDDEN)
    family(db, shelter_a, consent="family", phone="0467-22-2222", people=PLAIN)
    hq = api("hq")
    ask(hq, "腰越秘子", "acquaintance")
    ask(hq, "長谷健", "household")
    entries = inquiries.log(db)
    assert [e["query_name"] for e in entries] == ["長谷健", "腰越秘子"]
    assert entries[1]["answer"] == [] and entries[1]["relation"] == "acquaintance"
    assert entries[1]["inquirer_name"] == "問合せ者" and entries[1]["operator"].startswith("api-hq")
    assert entries[0]["answer"][0]["shelter"]["name"] == "第一小学校"
    page = signed_in("hq").get("/hq/inquiries/log").get_data(as_text=True)
    assert "腰越秘子" in page  # who was asked for stays in HQ's log...
    assert "非公開" not in page and "non-disclosure" not in page.lower()  # ...but never that they are hidden


def test_staff_and_leads_cannot_make_inquiries(db, shelter_a, signed_in, api):
    assert signed_in("staff", shelter_a).get("/hq/inquiries/").status_code == 403
    assert signed_in("lead", shelter_a).get("/hq/inquiries/log").status_code == 403
    assert ask(api("staff", shelter_a), "長谷健").status_code == 403


def test_an_incomplete_inquiry_is_refused_in_both_languages(api):
    response = api("hq").post("/api/v1/inquiries", json={"name": "長谷健", "inquirer_name": "x"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "続柄" in error["message_ja"] and "related" in error["message_en"]


def test_the_household_of_a_non_disclosure_person_is_not_disclosed_either(db, shelter_a, api):
    """A child's whereabouts would give the hidden mother's away."""
    open_shelter(db, shelter_a)
    persons = [{"name": "腰越秘子", "kana": "こしごえひでこ", "sex": "female", "non_disclosure": True},
               {"name": "腰越健太", "kana": "こしごえけんた", "sex": "male"}]
    from shelter_ops.domain import households

    households.register(db, shelter_a["id"], {"consent": "public"}, persons, actor="desk", source="desk",
                        status="checked_in")
    hq = api("hq")
    assert ask(hq, "腰越健太").data == ask(hq, "存在しない名前").data
