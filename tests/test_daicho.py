"""The 被災者台帳 roster: the law's items, one notation for addresses, never a 非公開 person, every export logged."""
import csv
import io
import json

import pytest

from conftest import insert_shelter
from shelter_ops.db import events
from shelter_ops.domain import daicho, households
from shelter_ops.domain.errors import Forbidden, Invalid

CONFIG = {"MUNICIPALITY_CODE": "142042"}
LAW_ITEMS = ["氏名", "生年月日", "性別", "住所又は居所", "住家の被害の状況", "援護の実施の状況", "要配慮者",
             "要配慮者である事由", "連絡先（電話番号）", "世帯番号（受付番号）", "続柄", "台帳情報の提供への同意",
             "提供先", "提供日時", "滞在場所", "安否確認への回答の同意"]


def register(db, shelter, household, persons, status="checked_in"):
    return households.register(db, shelter["id"], household, persons, actor="staff", source="desk", status=status)


@pytest.fixture
def roster(db, shelter_a, shelter_b):
    from shelter_ops.domain import shelters

    for s in (shelter_a, shelter_b):
        shelters.transition(db, s["id"], "open", actor="hq", role="hq")
    family = register(db, shelter_a, {"staying": "car", "address": "鎌倉市大船二丁目3番5号", "postcode": "247-0056",
                                      "phone": "090-1111-2222", "home_damage": "half", "consent": "family",
                                      "emergency_contact": "横浜市の姉 045-000-0000"},
                      [{"name": "大船 一郎", "kana": "おおふな いちろう", "sex": "male", "birth_date": "1950-04-01",
                        "relation": "本人", "care_codes": ["ELD", "MED"], "injury_illness": "腰痛"},
                       {"name": "大船 春子", "sex": "female", "birth_date": "1955-06-30", "relation": "妻"}])
    hidden = register(db, shelter_a, {"address": "鎌倉市秘密1-1", "phone": "080-9999-9999"},
                      [{"name": "保護 対象", "sex": "female", "age": 30, "non_disclosure": True},
                       {"name": "保護 子", "sex": "male", "age": 5}])
    other = register(db, shelter_b, {"address": "鎌倉市手広字上町123番地"}, [{"name": "手広 次郎", "sex": "male", "age": 40}])
    return {"family": family, "hidden": hidden, "other": other}


def csv_rows(result):
    return list(csv.DictReader(io.StringIO(result["data"].decode("utf-8-sig"))))


def test_every_item_the_law_names_is_a_column():
    headers = [ja for _key, ja in daicho.COLUMNS]
    assert all(item in headers for item in LAW_ITEMS)


def test_each_person_is_a_row_with_the_recorded_facts(db, shelter_a, roster):
    result = daicho.export(db, CONFIG, actor="hq1", role="hq", reason="被災者台帳の作成", provided_to="神奈川県",
                           shelter_id=shelter_a["id"])
    rows = {r["氏名"]: r for r in csv_rows(result)}
    ichiro = rows["大船 一郎"]
    assert ichiro["生年月日"] == "1950-04-01" and ichiro["性別"] == "男"
    assert ichiro["住所又は居所"] == "鎌倉市大船二丁目3番5号"  # as written (registration folds width already)
    assert ichiro["住所又は居所（正規化）"] == "鎌倉市大船2-3-5"
    assert ichiro["住家の被害の状況"] == "半壊" and ichiro["負傷・疾病"] == "腰痛"
    assert ichiro["要配慮者"] == "該当"
    assert ichiro["要配慮者である事由"] == "一人暮らしの高齢者・医療機器（透析・酸素など）"
    assert ichiro["連絡先（電話番号）"] == "090-1111-2222" and "姉" in ichiro["緊急連絡先"]
    assert ichiro["滞在場所"] == "車中泊" and ichiro["避難所"] == shelter_a["name"]
    assert ichiro["安否確認への回答の同意"] == "家族のみ"
    assert ichiro["世帯人数"] == "2" and ichiro["続柄"] == "本人"
    assert ichiro["世帯番号（受付番号）"] == rows["大船 春子"]["世帯番号（受付番号）"]
    assert shelter_a["name"] in ichiro["援護の実施の状況"] and "入所中" in ichiro["援護の実施の状況"]
    assert ichiro["提供先"] == "神奈川県" and ichiro["提供日時"]
    assert rows["大船 春子"]["要配慮者"] == ""
    assert ichiro["台帳情報の提供への同意"] == ""  # not asked at the shelter: never a made-up yes


def test_a_non_disclosure_person_and_their_household_are_never_exported(db, roster):
    for fmt in ("csv", "json"):
        data = daicho.export(db, CONFIG, actor="hq1", role="hq", reason="台帳", fmt=fmt)["data"].decode("utf-8-sig")
        assert "保護" not in data and "080-9999-9999" not in data and "秘密" not in data
        assert "大船 一郎" in data and "手広 次郎" in data


def test_hq_exports_every_shelter_and_each_export_is_logged(db, roster):
    result = daicho.export(db, CONFIG, actor="hq1", role="hq", reason="県の被災者データベースへ", provided_to="神奈川県")
    assert (result["persons"], result["households"]) == (3, 2)
    logged = events(db, kind=daicho.EVENT)[0]
    assert logged["id"] == result["event_id"] and logged["actor"] == "hq1"
    assert logged["payload"]["reason"] == "県の被災者データベースへ"
    assert logged["payload"]["provided_to"] == "神奈川県" and logged["payload"]["persons"] == 3
    assert sorted(logged["payload"]["households"]) == sorted([roster["family"]["id"], roster["other"]["id"]])
    assert "大船 一郎" not in json.dumps(logged["payload"], ensure_ascii=False)  # the log names rows, not people


def test_json_groups_persons_by_household_with_both_addresses(db, roster):
    body = json.loads(daicho.export(db, CONFIG, actor="hq1", role="hq", reason="台帳", fmt="json")["data"])
    family = next(h for h in body["households"] if h["address"]["original"] == "鎌倉市大船二丁目3番5号")
    assert family["address"]["normalized"] == "鎌倉市大船2-3-5"
    assert [p["name"] for p in family["persons"]] == ["大船 一郎", "大船 春子"]
    other = next(h for h in body["households"] if h["persons"][0]["name"] == "手広 次郎")
    assert other["address"]["normalized"] == "鎌倉市手広上町123"
    assert body["items"]["name"] == "氏名"


def test_checked_out_households_are_in_it_with_their_dates(db, shelter_a, roster):
    households.check_out(db, shelter_a["id"], roster["family"]["id"], actor="staff")
    rows = csv_rows(daicho.export(db, CONFIG, actor="hq1", role="hq", reason="台帳", shelter_id=shelter_a["id"]))
    assert {r["氏名"] for r in rows} == {"大船 一郎", "大船 春子"}
    assert all(r["退所日時"] and "退所" in r["援護の実施の状況"] for r in rows)


def test_only_a_lead_of_the_shelter_or_hq_may_export(db, shelter_a, shelter_b, roster):
    with pytest.raises(Forbidden):
        daicho.export(db, CONFIG, actor="s", role="staff", reason="x", shelter_id=shelter_a["id"],
                      own_shelter_id=shelter_a["id"])
    with pytest.raises(Forbidden):
        daicho.export(db, CONFIG, actor="l", role="lead", reason="x", shelter_id=shelter_b["id"],
                      own_shelter_id=shelter_a["id"])
    with pytest.raises(Forbidden):
        daicho.export(db, CONFIG, actor="l", role="lead", reason="x", own_shelter_id=shelter_a["id"])
    mine = daicho.export(db, CONFIG, actor="l", role="lead", reason="x", shelter_id=shelter_a["id"],
                         own_shelter_id=shelter_a["id"])
    assert mine["persons"] == 2
    assert len(events(db, kind=daicho.EVENT)) == 1  # refusals are not exports


def test_an_export_needs_a_reason_and_a_known_format(db, roster):
    with pytest.raises(Invalid) as refused:
        daicho.export(db, CONFIG, actor="hq1", role="hq", reason="  ")
    assert "理由" in refused.value.ja and "reason" in refused.value.en
    with pytest.raises(Invalid):
        daicho.export(db, CONFIG, actor="hq1", role="hq", reason="x", fmt="xlsx")
    assert events(db, kind=daicho.EVENT) == []


def test_a_purged_shelter_gives_no_rows(db, roster, shelter_b):
    from shelter_ops.domain import closing, privacy, reports, shelters

    households.check_out(db, shelter_b["id"], roster["other"]["id"], actor="staff")
    shelters.transition(db, shelter_b["id"], "closing", actor="hq", role="hq", confirmed=True)
    shelters.transition(db, shelter_b["id"], "closed", actor="hq", role="hq", confirmed=True)
    reports.submit(db, shelter_b["id"], {}, actor="lead", kind="final")
    closing.export(db, shelter_b["id"], actor="hq", role="hq", reason="引き渡し")
    before = csv_rows(daicho.export(db, CONFIG, actor="hq1", role="hq", reason="台帳", shelter_id=shelter_b["id"]))
    assert [r["氏名"] for r in before] == ["手広 次郎"]
    privacy.purge(db, shelter_b["id"], actor="hq", role="hq")
    after = daicho.export(db, CONFIG, actor="hq1", role="hq", reason="台帳", shelter_id=shelter_b["id"])
    assert csv_rows(after) == [] and "手広" not in after["data"].decode("utf-8-sig")


# --- the screens, the API and the command ---

def test_hq_downloads_from_the_interop_screen(signed_in, roster):
    hq = signed_in("hq")
    page = hq.get("/hq/interop/")
    assert "被災者台帳" in page.get_data(as_text=True)
    response = hq.post("/hq/interop/daicho", data={"reason": "台帳作成", "format": "json"}, page=page)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "大船 一郎" in response.get_data(as_text=True)
    listed = hq.get("/hq/interop/").get_data(as_text=True)
    assert "台帳作成" in listed  # the export is listed with its reason


def test_a_lead_exports_their_own_shelter_from_its_screen(signed_in, shelter_a, shelter_b, roster):
    lead = signed_in("lead", shelter_a)
    page = lead.get("/shelters/E1420400001111/daicho")
    assert page.status_code == 200
    response = lead.post("/shelters/E1420400001111/daicho", data={"reason": "本部へ"}, page=page)
    assert response.status_code == 200 and "大船 一郎" in response.data.decode("utf-8-sig")
    assert lead.get("/shelters/E1420400002111/daicho").status_code == 403
    assert signed_in("staff", shelter_a).get("/shelters/E1420400001111/daicho").status_code == 403
    refused = lead.post("/shelters/E1420400001111/daicho", data={"reason": ""}, page=page)
    assert refused.status_code == 400


def test_api_exports_for_hq_and_the_lead_of_the_shelter(api, shelter_a, roster):
    answer = api("hq").post("/api/v1/daicho", json={"reason": "台帳", "format": "csv"})
    assert answer.status_code == 200 and answer.mimetype == "text/csv" and answer.headers["X-Export-Event"]
    lead = api("lead", shelter_a)
    assert lead.post("/api/v1/daicho", json={"reason": "台帳"}).status_code == 403  # all shelters: HQ only
    assert lead.post("/api/v1/daicho", json={"reason": "台帳", "shelter": "E1420400001111"}).status_code == 200
    assert api("staff", shelter_a).post("/api/v1/daicho", json={"reason": "台帳",
                                                                 "shelter": "E1420400001111"}).status_code == 403
    assert api("hq").post("/api/v1/daicho", json={"reason": "台帳", "format": "xlsx"}).status_code == 400


def test_cli_writes_csv_and_json_and_logs(app, db, roster, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "daicho", "-o", str(tmp_path / "d.csv"), "--reason", "県へ", "--to", "神奈川県"])
    assert result.exit_code == 0, result.output
    assert "3 persons in 2 households" in result.output
    assert "神奈川県" in (tmp_path / "d.csv").read_text(encoding="utf-8-sig")
    result = runner.invoke(args=["export", "daicho", "-o", str(tmp_path / "d.json"), "--reason", "県へ",
                                 "--shelter", "E1420400002111"])
    assert result.exit_code == 0 and json.loads((tmp_path / "d.json").read_text())["households"][0]["persons"]
    assert len(events(db, kind=daicho.EVENT)) == 2
    assert runner.invoke(args=["export", "daicho", "-o", str(tmp_path / "d.txt"), "--reason", "x"]).exit_code != 0
    assert runner.invoke(args=["export", "daicho", "-o", str(tmp_path / "d.csv")]).exit_code != 0


def test_a_large_roster_exports_every_person(db):
    """A prefecture-sized shelter: 300 households of messy addresses, all rows out, all addresses folded."""
    from shelter_ops.domain import shelters

    big = insert_shelter(db, "E1420400009111", "大規模避難所", state="open")
    forms = ["大船{a}丁目{b}番{c}号", "大船{a}の{b}の{c}", "大船{a}―{b}―{c}", "大船{a}-{b}-{c}"]
    for n in range(300):
        a, b, c = n % 9 + 1, n % 17 + 1, n % 23 + 1
        register(db, big, {"address": "鎌倉市" + forms[n % 4].format(a=a, b=b, c=c)},
                 [{"name": f"避難 {n}", "sex": "female", "age": 20 + n % 60}, {"name": f"家族 {n}", "age": 3}])
    rows = csv_rows(daicho.export(db, CONFIG, actor="hq", role="hq", reason="台帳", shelter_id=big["id"]))
    assert len(rows) == 600
    assert all(r["住所又は居所（正規化）"].count("-") == 2 for r in rows)
    assert shelters.get(db, big["id"])["state"] == "open"


def test_the_example_in_the_docs_has_the_columns_and_no_hidden_person():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "interop.md").read_text(encoding="utf-8")
    example = re.search(r"<!-- daicho\.csv -->\n```\n(.*?)\n```", text, re.S).group(1)
    rows = list(csv.DictReader(io.StringIO(example)))
    assert list(rows[0]) == [ja for _key, ja in daicho.COLUMNS]
    assert "非公開" not in example
    assert any(r["住所又は居所（正規化）"] == "鎌倉市手広上町2-3-5" for r in rows)
