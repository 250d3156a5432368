"""Languages: Japanese by default, English second. Catalogs are .po files, one per area, compiled at start."""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_request_context, request, session
from flask_babel import Babel, get_locale

LANGUAGES = ("ja", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


def select_locale():
    """The language chosen with ?lang= or the switch, else the browser's, else Japanese."""
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="ja")


def lang():
    """'ja' or 'en' for the current request (kept for the request: a page of 1,500 map markers asks often)."""
    if has_request_context() and "shelter_ops_lang" in g:
        return g.shelter_ops_lang
    locale = get_locale()
    chosen = locale.language if locale and locale.language in LANGUAGES else "ja"
    if has_request_context():
        g.shelter_ops_lang = chosen
    return chosen


def pick(pair):
    """The current language's half of a (ja, en) pair."""
    return pair[1] if lang() == "en" else pair[0]


def domains():
    """The catalog names: every <area>.po under translations/ja/LC_MESSAGES."""
    return sorted(p.stem for p in (TRANSLATIONS / "ja" / "LC_MESSAGES").glob("*.po"))


def compile_catalogs():
    """Compile each .po into the .mo Flask-Babel reads, where the .mo is missing or older."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog)


def init_app(app):
    compile_catalogs()
    names = domains() or ["messages"]
    app.config["BABEL_DEFAULT_LOCALE"] = "ja"
    app.config["BABEL_DOMAIN"] = ";".join(names)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(TRANSLATIONS)] * len(names))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(lang=lang, pick=pick)
