"""Lアラート 避難所情報: the XML and CSV say what the state says, and revisions never re-announce an opening."""
import csv
import io
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from import_helpers import SHELTER_HEADER, csv_bytes, shelter as gsi_row
from shelter_ops import create_app
from shelter_ops.db import connect
from shelter_ops.domain import capacity, clock, households, lalert, shelters
from shelter_ops.domain.errors import Conflict, Invalid
from shelter_ops.importers import import_data

CONFIG = {"MUNICIPALITY_CODE": "142042", "MUNICIPALITY_NAME": "鎌倉市", "M2_PER_PERSON": 3.5,
          "LEVEL_THRESHOLDS": "0.3,0.6,0.8", "STALE_MINUTES": 60}


def import_shelters(db, rows):
    report = import_data(db, csv_bytes(SHELTER_HEADER, rows), "shelters.csv", actor="hq")
    assert report.ok, report.text()


@pytest.fixture
def city(db):
    """Three imported shelters: 1 open with people, 2 a welfare shelter open and empty, 3 on standby; 4 hidden."""
    import_shelters(db, [gsi_row(1), gsi_row(2, subtype="2"), gsi_row(3), gsi_row(4)])
    first, second, third, fourth = (shelters.get(db, f"E14204{n:05d}1{s}1") for n, s in
                                    ((1, "1"), (2, "2"), (3, "1"), (4, "1")))
    assert second["kind"] == "welfare"  # the 共通ID's subtype digit 2 says so; the importer reads it
    shelters.add_zone(db, first["id"], {"name": "体育館", "usable_m2": 350}, actor="hq")
    for s in (first, second, fourth):
        shelters.transition(db, s["id"], "open", actor="hq", role="hq")
    shelters.set_hidden(db, fourth["id"], True, actor="hq")
    households.register(db, first["id"], {"staying": "shelter"},
                        [{"name": "鎌倉 花子", "sex": "female", "age": 38}, {"name": "鎌倉 太郎", "sex": "male", "age": 1}],
                        actor="staff", source="desk", status="checked_in")
    for _ in range(3):
        households.count_head(db, first["id"], "male", "adult", actor="staff")
    return {"first": shelters.get(db, first["id"]), "second": shelters.get(db, second["id"]),
            "third": third, "fourth": fourth}


def by_name(parsed):
    return {s["name"]: s for s in parsed["shelters"]}


def test_first_issue_is_a_report_whose_every_field_matches_the_state(db, city):
    document = lalert.issue(db, CONFIG, actor="hq", role="hq")
    parsed = lalert.parse(lalert.to_xml(document))
    assert (parsed["distribution_type"], parsed["revision"], parsed["previous_revision"]) == ("Report", 1, 0)
    assert parsed["category"] == "Shelter" and parsed["distribution_status"] == "Actual"
    listed = by_name(parsed)
    # standby and hidden shelters are not announced
    assert set(listed) == {city["first"]["name"], city["second"]["name"]}
    snaps = {s["id"]: s for s in capacity.snapshots(db, CONFIG)}
    for key in ("first", "second"):
        state = shelters.get(db, city[key]["id"])
        got = listed[state["name"]]
        assert got["address"] == state["address"]
        assert (got["lat"], got["lon"]) == (state["lat"], state["lon"])
        assert got["type"] == "避難所" and got["sort"] == "開設"
        assert got["date_time"] == lalert._jst(state["opened_at"])
        assert got["date_time"].endswith("+09:00")
        assert got["head_count"] == households.present_counts(db).get(state["id"], {}).get("total", 0)
        assert got["capacity"] == (snaps[state["id"]]["capacity"] or None)
    assert listed[city["first"]["name"]]["head_count"] == 5  # two registered, three counted at the door
    assert listed[city["first"]["name"]]["households"] == 1
    assert listed[city["first"]["name"]]["capacity"] == 100  # 350 m² / 3.5
    assert listed[city["second"]["name"]]["type_detail"] == "福祉避難所"
    assert listed[city["second"]["name"]]["capacity"] is None  # no floor area entered: unknown, left out
    assert parsed["totals"] == {"head_count": 5, "households": 1, "open_shelters": 2}


def test_no_personal_data_goes_to_lalert(db, city):
    xml = lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq")).decode("utf-8")
    assert "鎌倉 花子" not in xml and "鎌倉 太郎" not in xml
    assert city["fourth"]["name"] not in xml


def test_open_correct_close_withdraw_is_report_update_update_cancel(db, city):
    first = city["first"]
    opening = lalert.parse(lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq")))

    # the GSI file is re-imported with the first shelter's address corrected
    import_shelters(db, [gsi_row(1, 住所="神奈川県鎌倉市大船1-1-5")])
    corrected = lalert.issue(db, CONFIG, actor="hq", role="hq")
    correction = lalert.parse(lalert.to_xml(corrected))
    assert (correction["distribution_type"], correction["revision"], correction["previous_revision"]) == \
        ("Update", 2, 1)
    assert correction["document_id"] == opening["document_id"]
    was, now_ = by_name(opening)[first["name"]], by_name(correction)[first["name"]]
    assert now_["address"] == "神奈川県鎌倉市大船1-1-5"
    # not a new opening: still 開設, with the time it opened
    assert now_["sort"] == "開設" and now_["date_time"] == was["date_time"]
    assert "住所を訂正" in correction["errata"] and "大船1-1-5" in correction["errata"]
    assert corrected["corrections"][0]["field"] == "address"

    households_there = households.roster(db, first["id"])
    for household in households_there:
        households.check_out(db, first["id"], household["id"], actor="staff")
    for _ in range(3):
        households.count_head(db, first["id"], "male", "adult", actor="staff", delta=-1)
    shelters.transition(db, first["id"], "closing", actor="hq", role="hq", confirmed=True)
    shelters.transition(db, first["id"], "closed", actor="hq", role="hq", confirmed=True)
    closing = lalert.parse(lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq")))
    closed = by_name(closing)[first["name"]]
    assert (closing["distribution_type"], closing["revision"], closing["previous_revision"]) == ("Update", 3, 2)
    assert closed["sort"] == "閉鎖"
    assert closed["date_time"] == lalert._jst(shelters.get(db, first["id"])["closed_at"])
    assert closed["head_count"] == 0 and closing["errata"] == ""

    withdrawal = lalert.parse(lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq", cancel=True,
                                                         reason="訓練用の発信を誤って本番で送ったため")))
    assert (withdrawal["distribution_type"], withdrawal["revision"], withdrawal["previous_revision"]) == \
        ("Cancel", 4, 3)
    assert withdrawal["document_id"] == opening["document_id"]
    assert "誤って" in withdrawal["errata"]

    fresh = lalert.parse(lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq")))
    assert (fresh["distribution_type"], fresh["revision"]) == ("Report", 1)
    assert fresh["document_id"] != opening["document_id"]


def test_a_shelter_back_on_standby_says_not_opened_instead_of_vanishing(db, city):
    lalert.issue(db, CONFIG, actor="hq", role="hq")
    second = city["second"]
    shelters.transition(db, second["id"], "closing", actor="hq", role="hq", confirmed=True)
    shelters.transition(db, second["id"], "closed", actor="hq", role="hq", confirmed=True)
    shelters.transition(db, second["id"], "opening", actor="hq", role="hq", reason="再点検")
    shelters.transition(db, second["id"], "standby", actor="hq", role="hq")
    listed = by_name(lalert.parse(lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq"))))
    assert listed[second["name"]]["sort"] == "未開設" and listed[second["name"]]["date_time"] == ""


def test_withdrawal_needs_a_reason_and_something_to_withdraw(db, city):
    with pytest.raises(Conflict):
        lalert.issue(db, CONFIG, actor="hq", role="hq", cancel=True, reason="誤り")
    lalert.issue(db, CONFIG, actor="hq", role="hq")
    with pytest.raises(Invalid) as refused:
        lalert.issue(db, CONFIG, actor="hq", role="hq", cancel=True, reason="  ")
    assert refused.value.ja and refused.value.en
    with pytest.raises(Invalid):
        lalert.issue(db, CONFIG, actor="hq", role="hq", status="Live")


def test_revisions_continue_after_a_restart(tmp_path):
    settings = {"DB": str(tmp_path / "hq.sqlite"), "SECRET_KEY": "t", "DEMO": False, "TESTING": True}
    create_app(settings)
    db = connect(settings["DB"])
    import_shelters(db, [gsi_row(1)])
    shelters.transition(db, shelters.get(db, "E1420400001111")["id"], "open", actor="hq", role="hq")
    first = lalert.issue(db, CONFIG, actor="hq", role="hq")
    db.close()
    create_app(settings)  # the server restarted
    db = connect(settings["DB"])
    second = lalert.issue(db, CONFIG, actor="hq", role="hq")
    assert (second["distribution_type"], second["revision"], second["document_id"]) == \
        ("Update", 2, first["document_id"])
    db.close()


def test_csv_has_the_same_fields_one_row_per_shelter(db, city):
    document = lalert.issue(db, CONFIG, actor="hq", role="hq")
    rows = list(csv.DictReader(io.StringIO(lalert.to_csv(document).decode("utf-8-sig"))))
    assert len(rows) == len(document["shelters"]) == 2
    xml_shelters = by_name(lalert.parse(lalert.to_xml(document)))
    for row in rows:
        same = xml_shelters[row["避難所名"]]
        assert row["住所"] == same["address"] and row["開設状況"] == same["sort"]
        assert int(row["避難人数"]) == same["head_count"] and int(row["避難世帯数"]) == same["households"]
        assert row["開設・閉鎖日時"] == same["date_time"]
        assert (row["版番号"], row["前版番号"], row["更新種別"]) == ("1", "0", "Report")
        assert row["避難人数（うち自主避難）"] == ""  # not recorded: empty, never a made-up 0


def test_the_envelope_uses_the_commons_namespaces(db, city):
    root = ET.fromstring(lalert.to_xml(lalert.issue(db, CONFIG, actor="hq", role="hq")))
    assert root.tag == "{urn:oasis:names:tc:emergency:EDXL:DE:1.0}EDXLDistribution"
    report = root.find(".//pcxml:Report", lalert.NS)
    assert [child.tag.split("}")[1] for child in report] == ["Control", "Head", "Shelter"]
    head = report.find("pcx_ib:Head", lalert.NS)
    assert head.findtext("commons:documentRevision", namespaces=lalert.NS) == "1"
    assert root.findtext("commons:targetArea/commons:jisX0402", namespaces=lalert.NS) == "142042"
    assert clock.JST.utcoffset(None).total_seconds() == 9 * 3600


class Receiver(BaseHTTPRequestHandler):
    """The prefecture's system, as small as a test needs: keeps what it is sent, answers `status`."""
    status = 200
    received = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        type(self).received.append((self.headers["Content-Type"], self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    class Handler(Receiver):
        received = []
        status = 200

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Handler, f"http://127.0.0.1:{server.server_port}/lalert"
    server.shutdown()
    server.server_close()


def test_a_send_posts_the_xml_and_is_recorded_with_its_revision(db, city, receiver):
    handler, url = receiver
    sent = lalert.send(db, {**CONFIG, "LALERT_ENDPOINT": url}, actor="hq", role="hq")
    content_type, body = handler.received[0]
    assert content_type.startswith("application/xml")
    assert lalert.parse(body)["revision"] == 1 == sent["revision"]
    last = lalert.last_issued(db)
    assert (last["delivery"], last["endpoint"], last["response_status"], last["revision"]) == ("sent", url, 200, 1)


def test_a_refused_send_is_not_recorded_so_the_same_revision_goes_again(db, city, receiver):
    handler, url = receiver
    handler.status = 503
    with pytest.raises(lalert.SendFailed) as failed:
        lalert.send(db, {**CONFIG, "LALERT_ENDPOINT": url}, actor="hq", role="hq")
    assert failed.value.status == 424 and "503" in failed.value.en
    assert lalert.last_issued(db) is None
    handler.status = 200
    again = lalert.send(db, {**CONFIG, "LALERT_ENDPOINT": url}, actor="hq", role="hq")
    assert (again["distribution_type"], again["revision"]) == ("Report", 1)


def test_a_send_without_an_endpoint_says_to_download(db, city):
    with pytest.raises(Conflict) as refused:
        lalert.send(db, CONFIG, actor="hq", role="hq")
    assert "SHELTER_OPS_LALERT_ENDPOINT" in refused.value.en


def test_a_send_to_nowhere_fails_with_the_reason(db, city):
    with pytest.raises(lalert.SendFailed):
        lalert.send(db, {**CONFIG, "LALERT_ENDPOINT": "http://127.0.0.1:9/nothing"}, actor="hq", role="hq", timeout=2)
    assert lalert.last_issued(db) is None


def test_only_hq_issues(db, city):
    from shelter_ops.domain.errors import Forbidden

    for role in ("lead", "staff"):
        with pytest.raises(Forbidden):
            lalert.issue(db, CONFIG, actor=role, role=role)
    assert lalert.last_issued(db) is None


# --- the HQ screen, the API and the command ---

def test_hq_previews_downloads_and_downloads_again_without_a_new_revision(signed_in, db, city):
    hq = signed_in("hq")
    page = hq.get("/hq/interop/").get_data(as_text=True)
    lalert_part = page.split('id="daicho"')[0]
    assert city["first"]["name"] in lalert_part and city["third"]["name"] not in lalert_part
    response = hq.post("/hq/interop/lalert", data={"action": "xml", "disaster_name": "令和8年の地震"},
                       page=hq.get("/hq/interop/"))
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "attachment" in response.headers["Content-Disposition"]
    issued = lalert.parse(response.data)
    assert issued["revision"] == 1
    assert "令和8年の地震" in response.get_data(as_text=True)
    again = hq.get(f"/hq/interop/lalert/{issued['document_id']}/1.xml")
    assert again.data == response.data
    assert len(lalert.history(db)) == 1
    csv_again = hq.get(f"/hq/interop/lalert/{issued['document_id']}/1.csv").data.decode("utf-8-sig")
    assert city["first"]["name"] in csv_again


def test_the_screen_refuses_a_withdrawal_without_reason_in_both_languages(signed_in, db, city):
    hq = signed_in("hq")
    hq.post("/hq/interop/lalert", data={"action": "xml"}, page=hq.get("/hq/interop/"))
    refused = hq.post("/hq/interop/lalert", data={"action": "cancel"}, page=hq.get("/hq/interop/"))
    assert refused.status_code == 400 and "取消の理由" in refused.get_data(as_text=True)


def test_shelter_staff_cannot_see_or_issue(signed_in, city):
    lead = signed_in("lead", city["first"])
    assert lead.get("/hq/interop/").status_code == 403
    assert lead.post("/hq/interop/lalert", data={"action": "xml"}).status_code == 403


def test_api_preview_issue_and_history(api, db, city):
    hq = api("hq")
    preview = hq.get("/api/v1/lalert").get_json()
    assert (preview["distribution_type"], preview["revision"]) == ("Report", 1)
    assert lalert.last_issued(db) is None  # a preview records nothing
    issued = hq.post("/api/v1/lalert", json={"status": "Exercise"})
    assert issued.status_code == 200 and issued.headers["X-Document-Revision"] == "1"
    assert lalert.parse(issued.data)["distribution_status"] == "Exercise"
    as_csv = hq.post("/api/v1/lalert", json={"format": "csv"})
    assert as_csv.mimetype == "text/csv" and as_csv.headers["X-Document-Revision"] == "2"
    assert [item["revision"] for item in hq.get("/api/v1/lalert/history").get_json()] == [2, 1]
    assert hq.post("/api/v1/lalert", json={"status": "Live"}).status_code == 400
    assert hq.post("/api/v1/lalert", json={"send": True}).status_code == 409  # no endpoint set
    assert api("staff", city["first"]).get("/api/v1/lalert").status_code == 403


def test_api_send_goes_to_the_endpoint(app, api, db, city, receiver):
    handler, url = receiver
    app.config["LALERT_ENDPOINT"] = url
    answer = api("hq").post("/api/v1/lalert", json={"send": True})
    assert answer.status_code == 200 and answer.get_json()["revision"] == 1
    assert lalert.parse(handler.received[0][1])["distribution_type"] == "Report"


def test_cli_writes_the_xml_and_the_csv(app, db, city, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "lalert", "-o", str(tmp_path / "l.xml")])
    assert result.exit_code == 0, result.output
    assert "Report revision 1" in result.output
    assert lalert.parse((tmp_path / "l.xml").read_bytes())["revision"] == 1
    result = runner.invoke(args=["export", "lalert", "-o", str(tmp_path / "l.csv"), "--errata", "人数の訂正"])
    assert result.exit_code == 0 and "Update revision 2" in result.output
    assert "避難所名" in (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    refused = runner.invoke(args=["export", "lalert", "-o", str(tmp_path / "l.xml"), "--cancel", ""])
    assert refused.exit_code != 0 and "reason" in refused.output
    assert runner.invoke(args=["export", "lalert", "-o", str(tmp_path / "l.txt")]).exit_code != 0


def test_the_example_in_the_docs_still_parses_and_matches_the_demo():
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "interop.md").read_text(encoding="utf-8")
    xml = re.search(r"<!-- lalert\.xml -->\n```xml\n(.*?)\n```", text, re.S).group(1)
    parsed = lalert.parse(xml.encode("utf-8"))
    assert (parsed["distribution_type"], parsed["revision"], parsed["previous_revision"]) == ("Report", 1, 0)
    demo = json.loads((root / "data" / "demo" / "kamakura.json").read_text(encoding="utf-8"))
    names = {s["kyotsu_id"]: s["name"] for s in demo["shelters"]}
    opened = {names[item["shelter"]] for item in demo["activity"]["open"]}
    assert {s["name"] for s in parsed["shelters"]} == opened
    assert parsed["totals"]["head_count"] == sum(s["head_count"] for s in parsed["shelters"])
