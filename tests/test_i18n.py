"""Every message a user can see exists in Japanese and English."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from shelter_ops.languages import TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("shelter_ops/**.py", "python"), ("templates/**.html", "jinja2")]


def japanese_catalog():
    messages = {}
    for po in sorted((TRANSLATIONS / "ja" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id and message.string:
                    messages[message.id if isinstance(message.id, str) else message.id[0]] = message.string
    return messages


def screen_messages():
    """{English message: file} of every _() in the code and templates."""
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHODS):
        found.setdefault(message if isinstance(message, str) else message[0], filename)
    return found


def test_every_screen_message_has_a_japanese_translation():
    catalog = japanese_catalog()
    missing = [f"{filename}: {msgid}" for msgid, filename in screen_messages().items() if msgid not in catalog]
    assert not missing, "add these to a .po file under shelter_ops/translations/ja:\n" + "\n".join(missing)


def test_no_catalog_keeps_a_message_no_screen_uses():
    unused = sorted(set(japanese_catalog()) - set(screen_messages()))
    assert not unused, f"remove these from the .po files (no screen shows them any more): {unused}"


def test_japanese_by_default_and_english_after_the_switch(app):
    client = app.test_client()
    assert "ログイン" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en", headers={"Referer": "http://localhost/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "ログイン" not in page


def test_english_browsers_get_english(app):
    page = app.test_client().get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "User name" in page


def test_no_message_is_translated_two_ways_across_catalogs():
    """The catalogs are merged, so one English message must have one Japanese meaning: a clash
    once turned the HQ's "Open" (開設) into a supply request's "未完了"."""
    seen, clashes = {}, []
    for po in sorted((TRANSLATIONS / "ja" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                if not msgid or not message.string:
                    continue
                if msgid in seen and seen[msgid][1] != message.string:
                    clashes.append(f"{msgid!r}: {seen[msgid][0]} {seen[msgid][1]!r} vs {po.name} {message.string!r}")
                seen.setdefault(msgid, (po.name, message.string))
    assert not clashes, "use a different English message for the other meaning:\n" + "\n".join(clashes)
