"""The one clock: times are stored in UTC and read, typed and printed in Japan time (JST).

Nothing else asks the system for the time, so a test (or the app config's CLOCK, a callable
returning an aware datetime) sets the time everywhere at once."""
import unicodedata
from datetime import date, datetime, timedelta, timezone

from .errors import Invalid

JST = timezone(timedelta(hours=9), "JST")  # no daylight saving
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # the days a log or a record can name

_source = None  # set_source(): a callable returning an aware datetime, or None for the system clock


def set_source(source):
    """Read the time from `source()` from now on (None: the system clock)."""
    global _source
    _source = source


def utcnow():
    """Now, as an aware datetime in UTC."""
    moment = _source() if _source is not None else datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc)


def now():
    """Now as an ISO 8601 string in UTC, to the second: how every stored time is written."""
    return utcnow().replace(microsecond=0).isoformat()


def now_ms():
    """Now in milliseconds since 1970 (the event log's clock)."""
    return int(utcnow().timestamp() * 1000)


def parse_time(stamp):
    """An ISO 8601 string as an aware datetime (UTC where it names no zone); None stays None."""
    if not stamp:
        return None
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def local_date():
    """Today's date in Japan (between 00:00 and 09:00 JST it is already tomorrow's date in Japan, not UTC's)."""
    return utcnow().astimezone(JST).date()


def today(at=None):
    """The shelter's calendar day (JST) of an ISO UTC time, or of now."""
    moment = datetime.fromisoformat(at) if at else utcnow()
    return moment.astimezone(JST).date().isoformat()


def parse_day(value):
    """A YYYY-MM-DD day. :raise Invalid:"""
    try:
        day = date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        raise Invalid("日付は YYYY-MM-DD の形で入力してください。", "Enter the date as YYYY-MM-DD.") from None
    if not FIRST_DAY <= day <= LAST_DAY:  # a day's neighbours (day ± 1) must exist too
        raise Invalid(f"日付は {FIRST_DAY} から {LAST_DAY} の間にしてください。",
                      f"The date must be between {FIRST_DAY} and {LAST_DAY}.")
    return day.isoformat()


def local_to_utc(value):
    """'YYYY-MM-DDTHH:MM' as typed on a tablet in Japan (or an ISO time with offset) to ISO UTC; '' to None."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().replace(" ", "T")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("日時は YYYY-MM-DD HH:MM の形で入力してください。", "Enter the time as YYYY-MM-DD HH:MM.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def utc_to_local(value):
    """ISO UTC to 'YYYY-MM-DD HH:MM' in Japan time, for screens and paper ('' for None)."""
    if not value:
        return ""
    return parse_time(value).astimezone(JST).strftime("%Y-%m-%d %H:%M")
