"""What an operator types for one passage, parsed from the console's form.

:class:`PassageForm` holds typed values; :meth:`PassageForm.from_form` parses the HTML form's
text fields and raises a :class:`~corridor.errors.ValidationError` that names the field in the
log's own terms (``plate``, ``people.crew``, ``cargo[1].kg``, ...), so the console can put the
message next to the input. Rules that need the corridor or a clock (unknown post, future time,
a reason only for denials and turn-backs, cargo without weight) are the model's
(:func:`corridor.model.validation.validate_entry`), checked when the passage is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from corridor.errors import MissingWeightError, ValidationError
from corridor.model.events import CargoLine, People
from corridor.model.pseudonym import normalise_plate
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)

_E = TypeVar("_E", bound=StrEnum)

#: The form's text fields for people on board, in the order of the form.
PEOPLE_FIELDS = ("residents", "returnees", "crew", "other")
#: Longest free text accepted in one field (plates, names, documents, notes).
MAX_TEXT = 200


class FormFields(Protocol):
    """A submitted form (Starlette's ``FormData`` is one): every value of a field, in order."""

    def getlist(self, key: Any) -> list[Any]:
        """All values of ``key``."""
        ...


@dataclass(frozen=True, slots=True)
class PassageForm:
    """One passage as the operator entered it.

    ``observed_at`` None means "now" on the post's clock. ``documents`` holds document numbers
    (a scanned permit code among them); like ``plate`` and ``driver`` it stays private.
    """

    plate: str
    vehicle_class: VehicleClass
    direction: Direction
    kind: PassageKind
    people: People = People()
    cargo: tuple[CargoLine, ...] = ()
    reason: ReasonCode | None = None
    convoy: str | None = None
    driver: str = ""
    documents: tuple[str, ...] = ()
    notes: str = ""
    observed_at: datetime | None = None

    def __post_init__(self) -> None:
        if not normalise_plate(self.plate):
            raise ValidationError("plate", "enter the vehicle's plate")

    @classmethod
    def from_form(cls, form: FormFields) -> PassageForm:
        """Parse the console's form fields; the first problem found names its field."""
        values = _Values(form)
        plate = values.text("plate")
        if not normalise_plate(plate):
            raise ValidationError("plate", "enter the vehicle's plate")
        reason_text = values.text("reason")
        documents = [d.strip() for d in values.text("documents").split(",")]
        permit = values.text("permit")
        if permit:
            documents.insert(0, permit)
        return cls(
            plate=plate,
            vehicle_class=values.choice(VehicleClass, "vehicle_class"),
            direction=values.choice(Direction, "direction"),
            kind=values.choice(PassageKind, "kind"),
            people=People(**{name: values.count(name) for name in PEOPLE_FIELDS}),
            cargo=_cargo(form.getlist("cargo_category"), form.getlist("cargo_kg")),
            reason=values.choice(ReasonCode, "reason") if reason_text else None,
            convoy=values.text("convoy") or None,
            driver=values.text("driver"),
            documents=tuple(d for d in documents if d),
            notes=values.text("notes"),
            observed_at=_time(values.text("observed_at")),
        )


class _Values:
    """First values of a form's fields, as text, with the field named in every error."""

    def __init__(self, form: FormFields) -> None:
        self._form = form

    def text(self, name: str) -> str:
        found = self._form.getlist(name)
        value = found[0] if found else ""
        if not isinstance(value, str):
            raise ValidationError(name, "expected text")
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise ValidationError(name, f"at most {MAX_TEXT} characters")
        return value

    def choice(self, kind: type[_E], name: str) -> _E:
        value = self.text(name)
        try:
            return kind(value)
        except ValueError as exc:
            allowed = ", ".join(member.value for member in kind)
            shown = f"{value!r} is not one of: {allowed}" if value else f"choose one of: {allowed}"
            raise ValidationError(name, shown) from exc

    def count(self, name: str) -> int:
        return _whole_number(self.text(name), f"people.{name}")


def _whole_number(text: str, field: str) -> int:
    """A whole number typed into a box; blank is 0. Negative numbers pass (the model refuses
    them with its own error, naming the same field)."""
    if not text:
        return 0
    cleaned = text.replace(" ", "").replace("_", "")
    try:
        return int(cleaned, 10)
    except ValueError as exc:
        raise ValidationError(field, f"expected a whole number, got {text!r}") from exc


def _cargo(categories: Sequence[Any], weights: Sequence[Any]) -> tuple[CargoLine, ...]:
    """Cargo rows; a row with neither category nor weight is an unused row and is skipped."""
    lines: list[CargoLine] = []
    for i in range(max(len(categories), len(weights))):
        category = str(categories[i]).strip() if i < len(categories) else ""
        weight = str(weights[i]).strip() if i < len(weights) else ""
        if not category and not weight:
            continue
        where = f"cargo[{len(lines)}]"
        if not category:
            raise ValidationError(f"{where}.category", "choose the cargo's category")
        try:
            kind = CargoCategory(category)
        except ValueError as exc:
            allowed = ", ".join(c.value for c in CargoCategory)
            raise ValidationError(
                f"{where}.category", f"{category!r} is not one of: {allowed}"
            ) from exc
        if not weight:
            raise MissingWeightError(f"{where}.kg", f"{kind.value} cargo has no weight")
        lines.append(CargoLine(kind, _whole_number(weight, f"{where}.kg")))
    return tuple(lines)


def _time(text: str) -> datetime | None:
    """``2020-12-01T08:15`` (or with seconds, or a space for the T), read as UTC; blank is now."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T").removesuffix("Z"))
    except ValueError as exc:
        raise ValidationError(
            "observed_at", f"expected a UTC time like 2020-12-01T08:15, got {text!r}"
        ) from exc
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=UTC)
