"""The shelters' clock: times are stored in UTC and read, typed and printed in Japan time (JST)."""
import unicodedata
from datetime import date, datetime, timedelta, timezone

from ..db import parse_time
from .errors import Invalid

JST = timezone(timedelta(hours=9), "JST")  # no daylight saving


def today(at=None):
    """The shelter's calendar day (JST) of an ISO UTC time, or of now."""
    moment = datetime.fromisoformat(at) if at else datetime.now(timezone.utc)
    return moment.astimezone(JST).date().isoformat()


def parse_day(value):
    """A YYYY-MM-DD day. :raise Invalid:"""
    try:
        return date.fromisoformat(str(value or "").strip()[:10]).isoformat()
    except ValueError:
        raise Invalid("日付は YYYY-MM-DD の形で入力してください。", "Enter the date as YYYY-MM-DD.") from None


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
