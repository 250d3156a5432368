"""The languages evacuees read, and the compiled catalogs behind them (no Flask: the domain uses this too)."""
import functools
import re
from collections import namedtuple
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import Markup, escape

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
COMPILE_COMMAND = "make setup   (or: .venv/bin/python -m shelter_ops.i18n compile)"

# code: what URLs, the cookie and the API use; locale: the Babel locale and the catalog folder;
# html: the page's lang attribute; endonym: the language named in itself, for the switch.
Language = namedtuple("Language", "code locale html endonym")
LANGUAGES = (
    Language("ja", "ja", "ja", "日本語"),
    Language("ja-easy", "ja@easy", "ja", "やさしい にほんご"),  # やさしい日本語: short sentences, furigana
    Language("en", "en", "en", "English"),
    Language("zh-Hans", "zh_Hans", "zh-Hans", "简体中文"),
    Language("vi", "vi", "vi", "Tiếng Việt"),
    Language("ko", "ko", "ko", "한국어"),
    Language("fil", "fil", "fil", "Filipino"),
    Language("ne", "ne", "ne", "नेपाली"),
    Language("pt-BR", "pt_BR", "pt-BR", "Português (Brasil)"),
    Language("id", "id", "id", "Bahasa Indonesia"),
    Language("my", "my", "my", "မြန်မာဘာသာ"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
BY_LOCALE = {language.locale: language for language in LANGUAGES}
# What browsers send that means one of ours (Accept-Language matching is by these tags).
ALIASES = {"tl": "fil", "zh": "zh-Hans", "zh-CN": "zh-Hans", "zh-SG": "zh-Hans", "pt": "pt-BR",
           "ja-x-easy": "ja-easy", "in": "id"}
JAPANESE = ("ja", "ja-easy")
SOURCE = "en"  # msgids are English: English needs no catalog
EVACUEE_DOMAIN = "evacuee"  # the catalog every evacuee language has in full
UNREVIEWED = "unreviewed"  # the flag (#, unreviewed) on an entry no native speaker has checked yet
REVIEWED_BY = "reviewed-by:"  # the translator comment (# reviewed-by: name, date) a reviewer leaves


def code_of(tag):
    """Our code for a language tag ('vi', 'zh-CN', 'tl', 'ja_easy'…), or None."""
    if not tag:
        return None
    tag = tag.replace("_", "-")
    for code in BY_CODE:
        if code.lower() == tag.lower():
            return code
    for alias, code in ALIASES.items():
        if alias.lower() == tag.lower():
            return code
    return None


def domains():
    """The catalog names: every <area>.po under translations/ja/LC_MESSAGES, the evacuee one last
    (catalogs merge in this order, so its entries win)."""
    names = {p.stem for p in (TRANSLATIONS / "ja" / "LC_MESSAGES").glob("*.po")}
    return sorted(names - {EVACUEE_DOMAIN}) + sorted(names & {EVACUEE_DOMAIN})


def sources():
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))


def uncompiled():
    """The .po files whose .mo is missing or older: the app refuses to start with any."""
    out = []
    for po in sources():
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            out.append(po)
    return out


def compile_all():
    """Compile every .po into the .mo gettext reads (the build step: make setup)."""
    from babel.messages.mofile import write_mo

    for po in sources():
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)


@functools.lru_cache(maxsize=None)
def translations(locale):
    """All domains of one locale merged, as gettext reads them (ja@easy falls back to ja per domain)."""
    merged = Translations()
    for domain in domains():
        merged.merge(Translations.load(str(TRANSLATIONS), [locale], domain))
    return merged


_RUBY_READING = re.compile(r"<rp>.*?</rp>|<rt>.*?</rt>", re.S)
_TAG = re.compile(r"<[^>]+>")


def plain(text):
    """Text without markup: ruby readings dropped (for <title>, attributes, options and JSON)."""
    return _TAG.sub("", _RUBY_READING.sub("", str(text)))


def text(code, msgid, params=None):
    """The message in language `code`, as plain text, with its %(name)s blanks filled."""
    language = BY_CODE.get(code) or BY_CODE["ja"]
    found = msgid if language.code == SOURCE else translations(language.locale).ugettext(msgid)
    found = plain(found)
    return found % params if params else found


def markup(code, msgid, params=None):
    """The message in language `code` for a page: the catalog's markup (ruby) kept, values escaped."""
    language = BY_CODE.get(code) or BY_CODE["ja"]
    found = msgid if language.code == SOURCE else translations(language.locale).ugettext(msgid)
    found = Markup(found)
    return found % {k: escape(v) for k, v in params.items()} if params else found


def word(code, pair):
    """A (ja, en) word of the domain in language `code` (other languages: the English in their catalog)."""
    if code == "ja":
        return pair[0]
    if code == SOURCE:
        return pair[1]
    found = translations(BY_CODE[code].locale).ugettext(pair[1])
    return plain(pair[0] if found == pair[1] and code in JAPANESE else found)


# --- honesty: which entries a native speaker has checked ---

def is_reviewed(message):
    return UNREVIEWED not in message.flags and any(
        c.strip().lower().startswith(REVIEWED_BY) for c in message.user_comments)


@functools.lru_cache(maxsize=None)
def _review_counts(path, mtime):
    with open(path, "rb") as f:
        catalog = read_po(f)
    entries = [m for m in catalog if m.id and m.string]
    return len(entries), sum(1 for m in entries if is_reviewed(m))


def review_status(code):
    """(entries, reviewed) over the language's catalogs. Japanese and English are the source: all reviewed."""
    language = BY_CODE[code]
    if code in ("ja", SOURCE):
        return None
    entries = reviewed = 0
    for po in sorted((TRANSLATIONS / language.locale / "LC_MESSAGES").glob("*.po")):
        n, r = _review_counts(str(po), po.stat().st_mtime)
        entries, reviewed = entries + n, reviewed + r
    return entries, reviewed


def fully_reviewed(code):
    status = review_status(code)
    return status is None or (status[0] > 0 and status[0] == status[1])
