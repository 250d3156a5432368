"""Errors a user can cause: each carries its message in Japanese and English, and the ones evacuees
can cause carry a message id whose text in every evacuee language lives in the catalogs."""
from .. import languages


def N_(msgid):
    """Mark an English message id for the catalogs (the extractor finds it; the text stays English)."""
    return msgid


class DomainError(Exception):
    """A refused request; becomes a 4xx with the message, never a 500.

    Staff-only errors give the pair: ``Conflict("…", "…")``. Errors an evacuee can meet give a
    message id and its values: ``Invalid(N_("The age is not plausible: %(age)s"), params={"age": age})``,
    and every language's text (Japanese too) comes from the catalogs.
    """

    status = 400

    def __init__(self, ja, en=None, *, params=None, status=None, code=None, **details):
        self.msgid = ja if en is None else None
        self.params = dict(params or {})
        self._pair = None if en is None else (ja, en)
        super().__init__(self.en)
        if status is not None:
            self.status = status
        self.code = code or type(self).__name__
        self.details = details

    @property
    def ja(self):
        return self._pair[0] if self._pair else languages.text("ja", self.msgid, self.params)

    @property
    def en(self):
        return self._pair[1] if self._pair else languages.text("en", self.msgid, self.params)

    def message(self, lang="ja"):
        """The message in language `lang` ('ja', 'en', 'vi', …; a pair answers ja or en)."""
        if self.msgid:
            return languages.text(lang, self.msgid, self.params)
        return self.ja if lang in languages.JAPANESE else self.en

    def as_dict(self, lang="ja"):
        out = {"code": self.code, "message": self.message(lang), "message_ja": self.ja, "message_en": self.en}
        if self.msgid:
            out["message_id"] = self.msgid
            out["message_params"] = {k: str(v) for k, v in self.params.items()}
        return {**out, **self.details}


class Invalid(DomainError):
    status = 400


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class TooMany(DomainError):
    status = 429
