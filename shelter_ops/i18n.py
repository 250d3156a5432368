"""Languages on the screens: evacuees' pages in eleven languages, staff and HQ screens in ja and en.

The catalogs are .po files (msgid is English), compiled into .mo at build time (`make setup`);
the app refuses to start without them and says which command to run.
"""
import sys

from flask import g, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from markupsafe import Markup

from . import languages
from .domain.errors import N_
from .languages import BY_CODE, JAPANESE, LANGUAGES, code_of

STAFF_LANGUAGES = ("ja", "en")
EVACUEE_BLUEPRINTS = ("door", "public", "residents")  # pages an evacuee opens: every language
COOKIE = "lang"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie

UNREVIEWED_NOTE = N_("not yet checked by a native speaker")

babel = Babel()


class CatalogsMissing(RuntimeError):
    pass


def evacuee_page():
    """Is this request for a page evacuees read (door, public status, residents')?"""
    return request.blueprint in EVACUEE_BLUEPRINTS


def chosen_language():
    """The language the visitor chose: ?lang=, else the switch's cookie (never guessed from the address)."""
    return code_of(request.args.get("lang")) or code_of(request.cookies.get(COOKIE)) or code_of(
        session.get("lang"))


def accepted_language(among=None):
    """The best of our languages for the browser's Accept-Language (Japanese when none fits)."""
    codes = among or [language.code for language in LANGUAGES]
    tags = list(codes) + [alias for alias, code in languages.ALIASES.items() if code in codes]
    best = request.accept_languages.best_match(tags)
    return code_of(best) if best else "ja"


def page_language():
    """Where evacuees read: the chosen language, else the browser's. Staff screens: Japanese or English."""
    chosen = chosen_language()
    if evacuee_page():
        return chosen or accepted_language()
    if chosen:
        return "ja" if chosen in JAPANESE else "en"
    return accepted_language(STAFF_LANGUAGES)


def message_language():
    """The language of an API answer's `message`: any of ours, from Accept-Language (or the choice)."""
    return chosen_language() or accepted_language()


def select_locale():
    return BY_CODE[page_language()].locale


def lang():
    """The current page's language code: 'ja', 'ja-easy', 'en', 'vi', … (kept for the request: a page
    of 1,500 map markers asks often)."""
    if has_request_context() and "shelter_ops_lang" in g:
        return g.shelter_ops_lang
    locale = get_locale()
    found = languages.BY_LOCALE.get(str(locale)) if locale else None
    chosen = found.code if found else "ja"
    if has_request_context():
        g.shelter_ops_lang = chosen
    return chosen


def reads_japanese():
    return lang() in JAPANESE


def html_lang():
    return BY_CODE[lang()].html


def pick(pair):
    """The current language's word for a (ja, en) pair of the domain's vocabulary: other languages
    find the English half in their catalog (ja-easy falls back to plain Japanese)."""
    code = lang()
    if code == "ja":
        return pair[0]
    if code == "en":
        return pair[1]
    found = get_translations().ugettext(pair[1])
    if found == pair[1] and code == "ja-easy":
        return pair[0]
    return Markup(found)


def live_words():
    """The words live.js writes into a page when an update comes, in the page's own language (a
    Vietnamese page stayed Vietnamese only until the first update), as markup: やさしい日本語 keeps
    its ruby. `{n}` and `{m2}` are filled in by the script."""
    from flask_babel import gettext

    from .domain import capacity, shelters

    levels = {**capacity.LEVELS, "stale": capacity.STALE_LABEL}
    return {"levels": {level: str(pick(pair)) for level, pair in levels.items()},
            "states": {state: str(pick(pair)) for state, pair in shelters.STATES.items()},
            "never": str(gettext("Not confirmed yet")), "now": str(gettext("Confirmed just now")),
            "ago": str(gettext("Confirmed %(n)s min ago", n="{n}")),
            "basis": str(gettext("Basis: %(m2)s m² per person", m2="{m2}"))}


def error_text(error, code=None):
    """A domain error's message in the page's language, as markup (ruby kept, values escaped)."""
    code = code or lang()
    if getattr(error, "msgid", None):
        return languages.markup(code, error.msgid, error.params)
    return error.message(code)


def language_menu():
    """The switch: every language named in itself, the current one marked, unreviewed ones flagged
    (in their own words)."""
    current = lang()
    return [{"code": language.code, "endonym": language.endonym, "html": language.html,
             "current": language.code == current,
             "unreviewed": None if languages.fully_reviewed(language.code)
             else languages.markup(language.code, UNREVIEWED_NOTE)}
            for language in LANGUAGES]


def evacuee_vocabulary():
    """The domain's (ja, en) words evacuees read: pick() finds their English in each catalog."""
    from .domain import capacity, households, resident_requests

    words = {}
    for table in (households.SEXES, households.CARE_CODES, households.ALLERGENS, households.STAYING,
                  households.HOME_DAMAGE, households.CONSENT, resident_requests.CATEGORIES, capacity.LEVELS,
                  {"stale": capacity.STALE_LABEL}):
        for ja, en in table.values():
            words.setdefault(en, ja)
    return words


def unreviewed_note():
    """'not yet checked by a native speaker' in the page's language, for the switch's legend."""
    return languages.markup(lang(), UNREVIEWED_NOTE)


def remember(response, code):
    """Keep the visitor's choice in a cookie (a year; no account needed)."""
    response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def init_app(app):
    stale = languages.uncompiled()
    if stale:
        raise CatalogsMissing(
            f"The translation catalogs are not compiled ({len(stale)} .po without an up-to-date .mo, "
            f"e.g. {stale[0].relative_to(languages.TRANSLATIONS)}). Compile them with: {languages.COMPILE_COMMAND}")
    names = languages.domains() or ["messages"]
    app.config["BABEL_DEFAULT_LOCALE"] = "ja"
    app.config["BABEL_DOMAIN"] = ";".join(names)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(languages.TRANSLATIONS)] * len(names))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(lang=lang, pick=pick, html_lang=html_lang, reads_japanese=reads_japanese,
                                 live_words=live_words,
                                 error_text=error_text, language_menu=language_menu, unreviewed_note=unreviewed_note, evacuee_page=evacuee_page)
    app.add_template_filter(languages.plain, "no_ruby")


def main(argv=None):
    """python -m shelter_ops.i18n compile | stats"""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compile"]:
        languages.compile_all()
        print(f"compiled {len(languages.sources())} catalogs")
    elif argv[:1] == ["stats"]:
        for language in LANGUAGES:
            status = languages.review_status(language.code)
            print(f"{language.code:8} {language.endonym:22} " + (
                "source" if status is None else f"{status[0]:4} entries, {status[1]:4} reviewed"))
    else:
        print(main.__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
