"""Many desks at once: 16 threads × 100 check-ins against a real server, each household counted once."""
import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server

from shelter_ops.domain import accounts, households

from checkin_helpers import open_shelter
from conftest import PASSWORD

THREADS = 16
PER_THREAD = 100
HOUSEHOLDS = 200


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_port
    srv.shutdown()
    thread.join(timeout=10)


def seed_pending(db, shelter_id, n):
    """n pending households of 1–3 persons, registered as the door would leave them."""
    numbers, people = [], 0
    for i in range(n):
        persons = [{"name": f"P{i}"} for _ in range(1 + i % 3)]
        numbers.append(households.register(db, shelter_id, {}, persons, actor="door", source="door")["reception_number"])
        people += len(persons)
    return numbers, people


@pytest.mark.slow
def test_concurrent_check_ins_are_each_counted_exactly_once(db, shelter_a, server):
    open_shelter(db, shelter_a)
    numbers, people = seed_pending(db, shelter_a["id"], HOUSEHOLDS)
    accounts.add_user(db, "desk", PASSWORD, "staff", shelter_id=shelter_a["id"])
    token = accounts.create_token(db, "desk")

    def desk(t):
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
        results = []
        try:
            for k in range(PER_THREAD):
                # each household is scanned by 8 different desks, in a different order at each
                number = numbers[(t * (HOUSEHOLDS // THREADS * 4) + k * 7) % HOUSEHOLDS]
                conn.request("POST", f"/api/v1/shelters/{shelter_a['kyotsu_id']}/checkins",
                             body=json.dumps({"code": number}),
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                response = conn.getresponse()
                body = json.loads(response.read())
                results.append((response.status, number, body.get("already")))
        finally:
            conn.close()
        return results

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for chunk in pool.map(desk, range(THREADS)) for r in chunk]

    assert len(results) == THREADS * PER_THREAD
    assert {status for status, _, _ in results} <= {200, 201}
    first_scans = [number for status, number, already in results if status == 201 and already is False]
    scanned = {number for _, number, _ in results}
    assert sorted(first_scans) == sorted(scanned)  # one "checked in" per household, the rest "already"
    events = db.execute("select count(*) from events where kind = 'household.checked_in'").fetchone()[0]
    assert events == len(scanned)
    expected = sum(len(households.by_number(db, n)["persons"]) for n in scanned)
    assert households.present_counts(db)[shelter_a["id"]]["total"] == expected
    assert len(scanned) == HOUSEHOLDS and expected == people
