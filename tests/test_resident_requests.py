"""Residents' requests (要望): from a phone or from paper, anonymous if wished, handled by staff, rate-limited."""
import pytest

from shelter_ops.domain import shelters

REF_A = "E1420400001111"


@pytest.fixture
def open_a(db, shelter_a):
    db.execute("update shelters set state = 'open' where id = ?", [shelter_a["id"]])
    db.conn.commit()
    return shelters.get(db, shelter_a["id"])


def phone_form(client, ref=REF_A):
    """A resident's phone: fetch the form (for its CSRF token) and return a function posting it."""
    from conftest import csrf_from

    page = client.get(f"/residents/{ref}/requests")
    assert page.status_code == 200
    token = csrf_from(page)

    def send(data, **kwargs):
        return client.post(f"/residents/{ref}/requests", data={**data, "csrf_token": token}, **kwargs)

    return send


def rows(db):
    cur = db.execute("select * from resident_requests")
    return [dict(zip([c[0] for c in cur.description], row)) for row in cur.fetchall()]


def test_an_anonymous_request_from_a_phone_stores_no_name(app, db, open_a):
    send = phone_form(app.test_client())
    response = send({"category": "sanitation", "text": "女子トイレの紙がありません", "anonymous": "yes",
                     "name": "鎌倉花子", "room": "体育館B-3"})
    assert response.status_code == 302
    [row] = rows(db)
    assert row["text"] == "女子トイレの紙がありません" and row["source"] == "phone"
    assert row["name"] is None and row["room"] is None
    assert "鎌倉花子" not in repr(rows(db)) and "体育館B-3" not in repr(rows(db))
    events = db.execute("select payload from events where kind = 'resident_request.received'").fetchall()
    assert "鎌倉花子" not in repr(events) and "トイレ" not in repr(events)


def test_a_named_request_keeps_the_name_for_staff(app, db, open_a, signed_in):
    send = phone_form(app.test_client())
    send({"category": "health", "text": "薬が切れそう", "name": "由比一郎", "room": "2-1教室"})
    [row] = rows(db)
    assert row["name"] == "由比一郎" and row["room"] == "2-1教室"
    inbox = signed_in("staff", open_a).get(f"/running/{REF_A}/requests").get_data(as_text=True)
    assert "由比一郎" in inbox and "薬が切れそう" in inbox


def test_staff_mark_a_request_handled_with_a_note(app, db, open_a, signed_in):
    send = phone_form(app.test_client())
    send({"category": "space", "text": "夜が寒い", "anonymous": "yes"})
    staff = signed_in("staff", open_a)
    page = staff.get(f"/running/{REF_A}/requests").get_data(as_text=True)
    assert "夜が寒い" in page and "匿名" in page and 'data-testid="count-open">1<' in page
    [row] = rows(db)
    assert staff.post(f"/running/{REF_A}/requests/{row['id']}/handled", {"note": "毛布を追加配布"}).status_code == 302
    [row] = rows(db)
    assert row["status"] == "handled" and row["handled_note"] == "毛布を追加配布" and row["handled_by"] and row["handled_at"]
    page = staff.get(f"/running/{REF_A}/requests").get_data(as_text=True)
    assert "毛布を追加配布" in page and 'data-testid="count-open">0<' in page
    again = staff.post(f"/running/{REF_A}/requests/{row['id']}/handled", {"note": "x"})
    assert again.status_code == 409


def test_staff_key_in_a_paper_request(db, open_a, signed_in):
    staff = signed_in("staff", open_a)
    assert staff.post(f"/running/{REF_A}/requests", {"category": "food", "text": "アレルギー対応食を",
                                                     "name": "腰越三子", "anonymous": "yes"}).status_code == 302
    [row] = rows(db)
    assert row["source"] == "paper" and row["name"] is None and row["created_by"].startswith("staff")


def test_too_many_requests_from_one_phone_are_refused_with_429(app, db, open_a):
    app.config["RESIDENT_REQUEST_LIMIT"] = 3
    send = phone_form(app.test_client())
    for n in range(3):
        assert send({"category": "other", "text": f"要望{n}", "anonymous": "yes"}).status_code == 302
    refused = send({"category": "other", "text": "要望4", "anonymous": "yes"})
    assert refused.status_code == 429
    assert "送信が多すぎます" in refused.get_data(as_text=True)
    english = send({"category": "other", "text": "要望5", "anonymous": "yes"}, headers={"Accept-Language": "en"})
    assert english.status_code == 429 and "Too many requests" in english.get_data(as_text=True)
    assert len(rows(db)) == 3
    # another phone is not held up, and the limit stores no address
    other = phone_form(app.test_client())
    assert other({"category": "other", "text": "別の人", "anonymous": "yes"},
                 environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
    assert "127.0.0.1" not in repr(db.execute("select * from resident_request_throttle").fetchall())


def test_a_shelter_not_open_takes_no_requests(app, db, shelter_a):
    client = app.test_client()
    page = client.get(f"/residents/{REF_A}/requests").get_data(as_text=True)
    assert "現在要望を受け付けていません" in page
    send = phone_form(client)
    assert send({"category": "other", "text": "x"}).status_code == 409
    assert rows(db) == []


def test_request_form_shows_current_announcements(app, db, open_a):
    from shelter_ops.domain import daylog

    daylog.add_announcement(db, open_a["id"], ja="配食は12時", en="Lunch at 12:00", actor="佐藤")
    page = app.test_client().get(f"/residents/{REF_A}/requests", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Lunch at 12:00" in text and "配食は12時" in text


def test_resident_requests_over_the_api(db, open_a, shelter_b, api):
    staff = api("staff", open_a)
    url = f"/api/v1/shelters/{REF_A}/resident-requests"
    created = staff.post(url, json={"category": "supplies", "text": "生理用品", "anonymous": True, "name": "x"})
    assert created.status_code == 201 and created.get_json()["name"] is None
    listed = staff.get(url + "?status=open").get_json()["requests"]
    assert [r["text"] for r in listed] == ["生理用品"]
    done = staff.post(f"{url}/{listed[0]['id']}/handled", json={"note": "受付に常備"})
    assert done.status_code == 200 and done.get_json()["status"] == "handled"
    assert api("staff", shelter_b).get(url).status_code == 403


def test_openapi_lists_the_running_endpoints(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/shelters/{ref}/supply-requests", "/supply-requests/{request_id}/transitions",
                 "/shelters/{ref}/needs", "/shelters/{ref}/log", "/shelters/{ref}/announcements",
                 "/shelters/{ref}/resident-requests", "/shelters/{ref}/resident-requests/{request_id}/handled"):
        assert path in spec["paths"], path


def test_the_api_needs_a_token(app, shelter_a):
    response = app.test_client().get(f"/api/v1/shelters/{REF_A}/resident-requests")
    assert response.status_code == 401
