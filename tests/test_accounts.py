"""Staff accounts from the command line, signing in, API tokens and the demo data."""
from shelter_ops.domain import accounts, shelters

from conftest import PASSWORD


def test_add_a_lead_from_the_command_line_with_the_password_on_stdin(app, db, shelter_a):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "add", "yamada", "--role", "lead", "--shelter", "E1420400001111"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = accounts.authenticate(db, "yamada", PASSWORD)
    assert user["role"] == "lead" and user["shelter_id"] == shelter_a["id"]
    assert "password_hash" not in user


def test_staff_need_a_shelter_and_the_refusal_is_in_both_languages(app):
    result = app.test_cli_runner().invoke(args=["users", "add", "sato", "--role", "staff"], input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert "避難所を指定" in result.output and "need a shelter" in result.output


def test_a_short_password_is_refused(app):
    result = app.test_cli_runner().invoke(args=["users", "add", "boss", "--role", "hq"], input="short\n")
    assert result.exit_code != 0 and "8" in result.output


def test_a_token_from_the_command_line_opens_the_api(app, db, shelter_a):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "add", "robot", "--role", "hq"], input=PASSWORD + "\n")
    result = runner.invoke(args=["tokens", "create", "robot"])
    token = result.output.strip()
    assert result.exit_code == 0 and len(token) > 30
    response = app.test_client().get("/api/v1/shelters", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["shelters"][0]["kyotsu_id"] == "E1420400001111"
    assert app.test_client().get("/api/v1/shelters", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_wrong_password_says_so_and_signs_nobody_in(app, db):
    accounts.add_user(db, "hq1", PASSWORD, "hq")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": "hq1", "password": "nope", "csrf_token": token})
    assert response.status_code == 401 and "パスワードが違います" in response.get_data(as_text=True)
    assert client.get("/hq/").status_code == 302


def test_demo_loads_kamakuras_shelters_and_one_account_per_role(app, db):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0
    assert {"hq", "lead", "staff"} <= set(result.output.split())
    rows = shelters.list_all(db)
    assert len(rows) == 25 and all(len(shelters.zones(db, s["id"])) >= 3 for s in rows)
    assert app.test_cli_runner().invoke(args=["demo"]).output == ""  # never twice
    from shelter_ops.domain import households

    open_now = shelters.list_all(db, state="open")
    assert {s["name"] for s in open_now} == {"御成小学校", "第一小学校", "大船小学校"}
    counts = households.present_counts(db)
    assert counts[shelters.get(db, "E1420400003111")["id"]]["total"] == 104 + 2


def test_the_start_page_sends_each_role_to_its_screen(app, db, shelter_a, signed_in):
    assert signed_in("hq").get("/").headers["Location"].endswith("/hq/")
    assert signed_in("lead", shelter_a).get("/").headers["Location"].endswith("/shelters/E1420400001111")
    assert app.test_client().get("/").headers["Location"].endswith("/public/")


def test_openapi_document_lists_the_shelter_paths(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/shelters", "/shelters/{ref}", "/shelters/{ref}/transitions"} <= set(spec["paths"])


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from shelter_ops import create_app

    monkeypatch.setenv("SHELTER_OPS_DB", str(tmp_path / "env.sqlite"))
    monkeypatch.setenv("SHELTER_OPS_STALE_MINUTES", "15")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["DB"] == str(tmp_path / "env.sqlite") and app.config["STALE_MINUTES"] == 15
    assert (tmp_path / "env.sqlite").exists()
