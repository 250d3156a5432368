"""Errors a user can cause: each carries its message in Japanese and English."""


class DomainError(Exception):
    """A refused request; becomes a 4xx with the message, never a 500."""

    status = 400

    def __init__(self, ja, en, *, status=None, code=None, **details):
        super().__init__(en)
        self.ja = ja
        self.en = en
        if status is not None:
            self.status = status
        self.code = code or type(self).__name__
        self.details = details

    def message(self, lang="ja"):
        return self.en if lang == "en" else self.ja

    def as_dict(self, lang="ja"):
        return {
            "code": self.code,
            "message": self.message(lang),
            "message_ja": self.ja,
            "message_en": self.en,
            **self.details,
        }


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
