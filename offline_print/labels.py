"""The words printed on the household card and the door poster, in Japanese and the reader's language.

They live in one data file (data/labels.json), written by developers and marked unreviewed until a
native speaker has checked them (`_reviewed`); Japanese is always printed, the reader's language beside it.
"""
import json
from functools import lru_cache
from pathlib import Path

FILE = Path(__file__).resolve().parent / "data" / "labels.json"
DEFAULT = "en"


@lru_cache(maxsize=1)
def table():
    return json.loads(FILE.read_text(encoding="utf-8"))


def languages():
    """{code: name in its own language}, in print-menu order (ja first)."""
    return dict(table()["_languages"])


def reviewed(lang):
    return lang in table()["_reviewed"]


def check_language(lang):
    """The language code itself, or ValueError naming the ones there are."""
    if lang not in table()["_languages"]:
        raise ValueError(f"no labels for language {lang!r}: choose one of {', '.join(table()['_languages'])}")
    return lang


def text(key, lang):
    """The label `key` in `lang`, falling back to English, then Japanese."""
    entry = table()[key]
    return entry.get(lang) or entry.get(DEFAULT) or entry["ja"]


def pair(key, lang=DEFAULT):
    """(Japanese, the reader's language); the second is empty when the reader's language is Japanese."""
    return table()[key]["ja"], ("" if lang == "ja" else text(key, lang))
