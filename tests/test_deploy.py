"""Serving for real (#13): gunicorn with one gevent worker, HTTPS from a local CA, our own command line."""
import re
import shutil
import ssl
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Server, get, prepare_db  # noqa: E402


def gunicorn_command():
    pytest.importorskip("geventwebsocket", reason="pip install -e '.[gevent]' (gevent-websocket)")
    found = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip("gunicorn is not installed: pip install -e '.[gevent]'")
    return [found, "-c", str(ROOT / "deployment" / "gunicorn.conf.py"), "shelter_ops.wsgi:app"]


@pytest.mark.slow
def test_the_production_command_serves_pages_and_live_updates(tmp_path):
    import socketio

    prepare_db(tmp_path / "prod.sqlite", shelters=2, state="open", usable_m2=350.0)
    server = Server(tmp_path / "prod.sqlite", async_mode="gevent", argv=gunicorn_command()).start()
    try:
        status, body = get(server.url + "/public/", timeout=10)
        assert status == 200 and "ベンチ小学校1" in body.decode("utf-8")
        snapshots = []
        arrived = threading.Event()
        client = socketio.Client(reconnection=False)

        @client.on("snapshot")
        def on_snapshot(data):
            snapshots.append(data)
            arrived.set()

        client.connect(server.url, transports=["websocket"], auth={"rooms": ["public"]}, wait_timeout=10)
        try:
            assert client.transport() == "websocket"  # the upgrade went through gunicorn's worker
            assert arrived.wait(10)
            assert len(snapshots[0]["shelters"]) == 2
        finally:
            client.disconnect()
        assert "gunicorn" in server.log_tail(200).lower() and "WARNING: This is a development server" not in \
            server.log_tail(200)
    finally:
        server.stop()


def test_tls_init_makes_a_ca_and_a_certificate_a_device_can_trust(app, tmp_path):
    from cryptography import x509

    folder = tmp_path / "tls"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tls", "init", "--dir", str(folder), "--ip", "127.0.0.1", "--ip", "192.168.10.5",
                                 "--name", "shelter.local"])
    assert result.exit_code == 0, result.output
    assert "iPad" in result.output and "Android" in result.output and "証明書信頼設定" in result.output
    cert = x509.load_pem_x509_certificate((folder / "server.crt").read_bytes())
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(a) for a in alt.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "192.168.10.5"}
    assert "shelter.local" in alt.get_values_for_type(x509.DNSName)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= timedelta(days=825)  # iOS's limit
    assert (folder / "ca.key").stat().st_mode & 0o077 == 0

    # a client that trusts only our CA completes a TLS handshake with a server using the certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.crt", folder / "server.key")

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Hello)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.handle_request, daemon=True)
    thread.start()
    try:
        import urllib.request

        trusting = ssl.create_default_context(cafile=str(folder / "ca.crt"))
        with urllib.request.urlopen(f"https://127.0.0.1:{httpd.server_port}/", context=trusting, timeout=10) as r:
            assert r.read() == b"ok"
    finally:
        thread.join(10)
        httpd.server_close()

    # the address changed: a new server certificate, the same CA (devices keep trusting it)
    ca_before = (folder / "ca.crt").read_bytes()
    again = runner.invoke(args=["tls", "init", "--dir", str(folder), "--ip", "192.168.20.7"])
    assert again.exit_code == 0 and (folder / "ca.crt").read_bytes() == ca_before
    assert "192.168.20.7" in again.output


def test_certificates_are_dated_by_the_one_clock():
    """The certificates' dates come from the same clock as every record (a test or the app config sets it)."""
    from datetime import datetime, timezone

    from shelter_ops import tls
    from shelter_ops.domain import clock

    previous = clock._source
    clock.set_source(lambda: datetime(2031, 4, 1, 9, 0, tzinfo=timezone.utc))
    try:
        ca_key, ca_cert = tls.make_ca("test CA")
        _key, cert = tls.make_server_cert(ca_key, ca_cert, ["192.168.10.5"], [])
    finally:
        clock.set_source(previous)  # as insert_shelter does: another test's clock stays its own
    for made in (ca_cert, cert):
        assert made.not_valid_before_utc == datetime(2031, 4, 1, 8, 55, tzinfo=timezone.utc)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=tls.SERVER_DAYS, minutes=5)


def test_tls_init_refuses_a_name_given_as_an_address(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["tls", "init", "--dir", str(tmp_path), "--ip", "shelter.local"])
    assert result.exit_code != 0 and "IP" in result.output


def test_the_command_line_offers_only_our_options():
    from shelter_ops.cli import command_group

    # FlaskGroup sets FLASK_RUN_FROM_CLI in os.environ; naming it here makes the runner put it back, or
    # every later `python run.py` a test starts inherits it and ignores socketio.run() (test_redis)
    result = CliRunner().invoke(command_group(), ["--help"], env={"SHELTER_OPS_DB": ":memory:",
                                                                  "FLASK_RUN_FROM_CLI": None})
    assert result.exit_code == 0, result.output
    assert not re.search(r"--app|--env-file|--debug|Flask", result.output)
    assert "tls" in result.output and "import" in result.output


def test_the_deployment_guide_names_files_that_exist():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"deployment/[\w.\-]+", guide))
    assert {"deployment/gunicorn.conf.py", "deployment/nginx.conf", "deployment/shelter-ops.service"} <= named
    missing = [path for path in named if not (ROOT / path).exists()]
    assert not missing, f"docs/deploy.md names files that are not there: {missing}"
    assert "shelter-ops tls init" in guide and "backup" in guide.lower()
