"""Ready-made shelter notices (お知らせ文例) in every evacuee language, with blanks for times and places.

The library is data/notices/*.json: each file a list of notices of one topic, each notice
{"key", "blanks": {name: [ja, en]}, "text": {language code: text with {name} blanks}}.
Staff pick one, fill the blanks, publish; each resident reads it in their own language.
"""
import functools
import html
import json
import re
import unicodedata
from pathlib import Path

from markupsafe import Markup, escape

from .. import languages
from .errors import Invalid

LIBRARY = Path(__file__).resolve().parent.parent.parent / "data" / "notices"
TOPICS = {  # the files of the library, in the picker's order
    "meals": ("食事", "Meals"), "water": ("水", "Water"), "toilets": ("トイレ・衛生", "Toilets and hygiene"),
    "living": ("生活のきまり", "Living together"), "health": ("健康・医療", "Health"),
    "info": ("受付・情報", "Desk and information"), "safety": ("安全・災害", "Safety"),
}
BLANK = re.compile(r"\{(\w+)\}")
VALUE_LIMIT = 60  # a time, a place, a room: short


@functools.lru_cache(maxsize=1)
def library():
    """{key: notice}, in the order of the files (topic) and of each file."""
    out = {}
    for path in sorted(LIBRARY.glob("*.json")):
        for notice in json.loads(path.read_text(encoding="utf-8")):
            out[notice["key"]] = {**notice, "topic": path.stem}
    return out


def topics():
    """[(topic, (ja, en), [notice, …])] for the picker."""
    grouped = {topic: [] for topic in TOPICS}
    for notice in library().values():
        grouped.setdefault(notice["topic"], []).append(notice)
    return [(topic, TOPICS.get(topic, (topic, topic)), notices) for topic, notices in grouped.items() if notices]


def get(key):
    """:raise Invalid: no such notice."""
    notice = library().get(key)
    if notice is None:
        raise Invalid(f"文例が見つかりません: {key}", f"No such ready-made notice: {key}")
    return notice


def check_values(key, values):
    """The blanks of notice `key` filled from `values`, trimmed. :raise Invalid: one is empty or too long."""
    notice = get(key)
    out = {}
    for name, (ja, en) in notice.get("blanks", {}).items():
        value = unicodedata.normalize("NFC", str((values or {}).get(name) or "")).strip()
        if not value:
            raise Invalid(f"「{ja}」を入力してください。", f"Fill in “{en}”.")
        if len(value) > VALUE_LIMIT:
            raise Invalid(f"「{ja}」は{VALUE_LIMIT}文字以内にしてください。", f"“{en}” can have at most {VALUE_LIMIT} characters.")
        out[name] = value
    return out


def title(notice, code="ja"):
    """The notice's first sentence in a language: what the picker lists."""
    return languages.plain(notice["text"].get(code) or notice["text"]["en"]).split("。")[0].split(". ")[0]


def preview(key, code):
    """The notice in language `code` with each blank shown as its name in brackets (for staff)."""
    notice = get(key)
    names = {name: f"［{ja}］" if code in languages.JAPANESE else f"[{en}]"
             for name, (ja, en) in notice.get("blanks", {}).items()}
    return render(key, names, code)


def render(key, values, code):
    """The filled notice in language `code` as markup (ruby of やさしい日本語 kept; values escaped)."""
    notice = library().get(key)
    if notice is None:
        return None
    template = notice["text"].get(code) or notice["text"]["en"]
    safe = {name: escape(value) for name, value in (values or {}).items()}
    return Markup(BLANK.sub(lambda m: str(safe.get(m.group(1), "…")), template))


def plain_text(key, values, code):
    """The filled notice as plain text (for the ja/en columns staff screens and feeds read)."""
    return html.unescape(languages.plain(render(key, values, code)))
