"""The errors corridor raises, one root and a few named kinds.

Every error carries a message a user can act on and the HTTP status the web layer answers with.
Each boundary (the CLI, the web app) catches ``CorridorError`` once and shows ``str(error)``.

::

    CorridorError
    ├── ValidationError             422  an event or input breaks a rule; names the field
    │   ├── UnknownPostError
    │   ├── NegativeCountError
    │   ├── MissingWeightError
    │   ├── MissingReasonError
    │   ├── FutureTimeError
    │   └── EntryTooLargeError
    ├── SignatureError              401  a signature does not verify, or its key is not valid
    ├── ConflictError               409  same event id, different content
    ├── BadRequestError             400  a query parameter is malformed (bbox, datetime, language)
    ├── NotFoundError               404  no such entry, tile or receipt
    ├── PayloadTooLargeError        413  a batch with too many events or bytes
    ├── ScenarioError               422  a scenario file is missing or wrong (with locations)
    ├── ConfigError                 400  a setting or data directory is unusable
    ├── LogUnavailableError         502  a remote log or HQ cannot be reached (names the URL)
    ├── UnavailableError            503  a part this node needs is missing (says what to install)
    └── VerificationError           422  a log, proof, note or checkpoint does not verify
"""

from __future__ import annotations


class CorridorError(Exception):
    """Root of every error corridor raises on purpose."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(CorridorError):
    """An event or input breaks a rule. ``field`` names the offending field."""

    status_code = 422

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownPostError(ValidationError):
    """The event names a post the corridor does not have."""


class NegativeCountError(ValidationError):
    """A count of people or a weight is below zero."""


class MissingWeightError(ValidationError):
    """A cargo line has no weight (or a zero weight)."""


class MissingReasonError(ValidationError):
    """A denial or turn-back carries no reason code, or a reason where none belongs."""


class FutureTimeError(ValidationError):
    """The observed time lies too far in the future of the receiving clock."""


class EntryTooLargeError(ValidationError):
    """The signed entry does not fit in one tlog entry (65,535 bytes)."""


class SignatureError(CorridorError):
    """A signature does not verify, or its key is unknown, revoked or not yet valid."""

    status_code = 401


class ConflictError(CorridorError):
    """An event id is already stored with different content; nothing was overwritten."""

    status_code = 409


class BadRequestError(CorridorError):
    """A request's parameter cannot be read (a malformed ``bbox`` or ``datetime``, an unknown
    language); the message names the parameter and says what it accepts."""

    status_code = 400


class NotFoundError(CorridorError):
    """The requested entry, tile, receipt or object does not exist (yet)."""

    status_code = 404


class PayloadTooLargeError(CorridorError):
    """A request carries more events or bytes than one batch may."""

    status_code = 413


class ScenarioError(CorridorError):
    """A scenario file is missing, unreadable or invalid. ``problems`` lists every one found,
    each prefixed with its location in the file (``lachin.yaml:12:5``)."""

    status_code = 422

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        joined = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s)\n{joined}")


class ConfigError(CorridorError):
    """A setting, key file or data directory cannot be used as given."""


class LogUnavailableError(CorridorError):
    """A log or HQ could not be read at all (network error, server error); names the URL."""

    status_code = 502


class UnavailableError(CorridorError):
    """This node lacks a part the request needs (a system library, say); the message says what
    to install. Other requests are unaffected."""

    status_code = 503


class VerificationError(CorridorError):
    """A Merkle proof, signed note, checkpoint, tile or log does not verify."""

    status_code = 422
