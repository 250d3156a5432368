"""Reports to HQ: figures from the roster, the staff's part, reminders, history, chart and CSV."""
import csv
import io

from closing_helpers import family, known_roster, open_shelter
from shelter_ops.domain import households, reports, shelters


def test_a_reports_figures_equal_the_rosters(app, db, shelter_a):
    a, b, _home = known_roster(db, shelter_a)
    report = reports.submit(db, shelter_a["id"], {"reason": "震度5強"}, actor="lead", config=app.config)
    roster = households.roster(db, shelter_a["id"], include_sensitive=True, include_hidden=True)
    in_shelter = [p for h in roster if h["staying"] == "shelter" for p in h["persons"]]
    assert report["total"] == len(in_shelter) == 3
    assert report["men"] == sum(p["sex"] == "male" for p in in_shelter) == 2
    assert report["women"] == sum(p["sex"] == "female" for p in in_shelter) == 1
    assert report["households"] == sum(h["staying"] == "shelter" for h in roster) == 2
    assert report["data"]["at_home"] == 1
    assert report["data"]["care_needs"]["ILL"] == 1 and report["data"]["care_needs"]["INF"] == 1
    assert report["data"]["sick"] == 1
    assert report["no"] == 1 and report["kind"] == "first"
    assert report["data"]["kyotsu_id"] == "E1420400001111"
    assert report["data"]["municipality_code"] == "142042"
    assert report["data"]["eei_status"] == "開設"
    assert report["data"]["reason"] == "震度5強"


def test_count_only_heads_and_check_outs_change_the_next_report(app, db, shelter_a):
    a, _b, _home = known_roster(db, shelter_a)
    first = reports.submit(db, shelter_a["id"], {}, actor="lead")
    households.count_head(db, shelter_a["id"], "female", "adult", actor="desk")
    households.check_out(db, shelter_a["id"], a["id"], actor="desk")
    second = reports.submit(db, shelter_a["id"], {}, actor="lead")
    assert (first["total"], second["total"]) == (3, 2)
    assert second["no"] == 2 and second["kind"] == "periodic"
    assert second["women"] == 1  # 鎌倉花子 left, one woman counted at the door
    assert second["data"]["arrivals"] == 1 and second["data"]["departures"] == 2


def test_staff_cannot_type_over_the_live_figures(db, shelter_a):
    known_roster(db, shelter_a)
    report = reports.submit(db, shelter_a["id"], {"total": "999", "men": "500", "toilets": "4"}, actor="lead")
    assert report["total"] == 3 and report["data"]["toilets"] == 4


def test_a_report_is_due_after_the_interval(db, shelter_a):
    open_shelter(db, shelter_a)
    shelter = shelters.get(db, shelter_a["id"])
    assert reports.due(db, shelter, interval_hours=6)["overdue"]  # the 第1報 at once
    report = reports.submit(db, shelter["id"], {}, actor="lead")
    later = report["at"].replace("+00:00", "")
    assert not reports.due(db, shelter, interval_hours=6, at=later)["overdue"]
    from datetime import datetime, timedelta
    seven = (datetime.fromisoformat(later) + timedelta(hours=7)).isoformat()
    assert reports.due(db, shelter, interval_hours=6, at=seven) == {
        "due_at": reports.due(db, shelter, interval_hours=6)["due_at"], "overdue": True, "no": 2}
    assert [s["id"] for s, _ in reports.overdue(db, interval_hours=6, at=seven)] == [shelter["id"]]


def test_staff_file_a_report_on_the_tablet(db, shelter_a, signed_in):
    known_roster(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    page = staff.get("/shelters/E1420400001111/reports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-field="total">3<' in text and "第1報" in text
    done = staff.post("/shelters/E1420400001111/reports", {"kind": "first", "reason": "地震", "lifeline_water": "out",
                                                          "urgent": "毛布が足りない"}, page=page)
    assert done.status_code == 302
    page = staff.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="filed"' in page and "毛布が足りない" in page
    saved = reports.last(db, shelter_a["id"])
    assert saved["data"]["lifelines"]["water"] == "out" and saved["total"] == 3
    # the opening checklist's 本部への第1報 is ticked by the report itself
    marks = dict(db.execute("select item, done_by from checklist_marks where shelter_id = ?", [shelter_a["id"]]).fetchall())
    assert marks["first_report"].startswith("staff")


def test_a_wrong_choice_is_refused_with_the_reason(db, shelter_a, signed_in):
    open_shelter(db, shelter_a)
    staff = signed_in("staff", shelter_a)
    response = staff.post("/shelters/E1420400001111/reports", {"drinking_water": "lots"})
    assert response.status_code == 400
    assert "選択肢" in response.get_data(as_text=True)


def test_hq_sees_history_chart_and_overdue_shelters(db, shelter_a, shelter_b, signed_in):
    known_roster(db, shelter_a)
    open_shelter(db, shelter_b)
    family(db, shelter_b, phone="0467-00-0000")
    reports.submit(db, shelter_a["id"], {}, actor="lead")
    reports.submit(db, shelter_b["id"], {}, actor="lead")
    page = signed_in("hq").get("/hq/reports").get_data(as_text=True)
    assert "<svg" in page and "total-line" in page and page.count('class="shelter-line"') == 2
    assert "第一小学校" in page and "第二小学校" in page
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>")[0].replace("http://www.w3.org/2000/svg", "")
    series = reports.occupancy_series(db)
    assert series["total"][-1][1] == 5


def test_the_csv_export_opens_in_excel_with_the_right_header(db, shelter_a, signed_in):
    known_roster(db, shelter_a)
    reports.submit(db, shelter_a["id"], {"urgent": "水, 毛布\n至急"}, actor="lead")
    response = signed_in("hq").get("/hq/reports.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["共通ID", "地方公共団体コード", "施設名", "報告番号"]
    assert "避難者数" in rows[0] and "避難者数（男性）" in rows[0] and "避難者数（女性）" in rows[0]
    row = dict(zip(rows[0], rows[1]))
    assert row["共通ID"] == "E1420400001111" and row["避難者数"] == "3" and row["開設状況"] == "開設"
    assert row["緊急対応事項"] == "水, 毛布\n至急"


def test_staff_cannot_open_hq_report_screens(db, shelter_a, signed_in):
    staff = signed_in("staff", shelter_a)
    assert staff.get("/hq/reports").status_code == 403
    assert staff.get("/hq/reports.csv").status_code == 403


def test_staff_of_another_shelter_cannot_file_for_this_one(db, shelter_a, shelter_b, signed_in):
    open_shelter(db, shelter_a)
    assert signed_in("staff", shelter_b).get("/shelters/E1420400001111/reports").status_code == 403


def test_reports_over_the_api(db, shelter_a, api):
    known_roster(db, shelter_a)
    lead = api("lead", shelter_a)
    draft = lead.get("/api/v1/shelters/E1420400001111/reports/draft").get_json()
    assert draft["no"] == 1 and draft["data"]["total"] == 3
    body = {"reason": "地震", "toilets": 6, "lifelines": {"water": "partly"}, "living": {"blankets": "short"}}
    first = lead.post("/api/v1/shelters/E1420400001111/reports", json=body, headers={"Idempotency-Key": "k-1"})
    again = lead.post("/api/v1/shelters/E1420400001111/reports", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    report = first.get_json()
    assert report["total"] == 3 and report["data"]["toilets"] == 6
    assert report["data"]["lifelines"]["water"] == "partly" and report["data"]["living"]["blankets"] == "short"
    assert len(lead.get("/api/v1/shelters/E1420400001111/reports").get_json()["reports"]) == 1
    assert lead.get("/api/v1/reports").status_code == 403
    hq = api("hq")
    csv_body = hq.get("/api/v1/reports?format=csv").data
    assert csv_body.startswith(b"\xef\xbb\xbf")
    assert hq.get("/api/v1/reports/occupancy").get_json()["total"][-1]["total"] == 3


def test_the_openapi_document_lists_reports_inquiries_and_closing(app):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/shelters/{ref}/reports", "/shelters/{ref}/reports/draft", "/reports", "/reports/occupancy",
                 "/inquiries", "/shelters/{ref}/closing", "/shelters/{ref}/consolidate", "/shelters/{ref}/handover",
                 "/shelters/{ref}/purge", "/purge-due"):
        assert path in paths, path


def test_a_malformed_api_report_is_refused_not_a_server_error(db, shelter_a, api):
    open_shelter(db, shelter_a)
    lead = api("lead", shelter_a)
    for body in ({"lifelines": "out"}, {"drinking_water": ["short"]}, {"kind": ["final"]}, {"urgent": ["a"]},
                 {"living": {"beds": 3}}, {"toilets": [1]}):
        response = lead.post("/api/v1/shelters/E1420400001111/reports", json=body)
        assert response.status_code == 400, (body, response.status_code)
        assert response.get_json()["error"]["message_en"]


def test_unknown_staff_fields_may_be_sent_as_null(db, shelter_a, api):
    open_shelter(db, shelter_a)
    response = api("lead", shelter_a).post("/api/v1/shelters/E1420400001111/reports",
                                           json={"reason": None, "toilets": None, "drinking_water": None})
    assert response.status_code == 201
    assert response.get_json()["data"]["toilets"] is None


def test_the_final_report_waits_for_closing(db, shelter_a):
    open_shelter(db, shelter_a)
    import pytest
    from shelter_ops.domain.errors import Invalid

    with pytest.raises(Invalid):
        reports.submit(db, shelter_a["id"], {}, actor="lead", kind="final")
    shelters.transition(db, shelter_a["id"], "closing", actor="hq", role="hq", confirmed=True)
    assert reports.submit(db, shelter_a["id"], {}, actor="lead", kind="final")["kind"] == "final"
