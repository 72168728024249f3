"""Each validation rule raises its own error type, and the message names the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from corridor.errors import (
    EntryTooLargeError,
    FutureTimeError,
    MissingReasonError,
    MissingWeightError,
    NegativeCountError,
    UnknownPostError,
    ValidationError,
)
from corridor.model.corridor import Corridor
from corridor.model.events import CargoLine, People, PublicEntry
from corridor.model.signing import SignedPassage, SigningKey
from corridor.model.validation import validate_entry
from corridor.model.vocabulary import CargoCategory, PassageKind, ReasonCode
from tests.conftest import EntryFactory

NOW = datetime(2020, 12, 1, 12, 0, tzinfo=UTC)


def test_a_valid_entry_passes(corridor: Corridor, make_entry: EntryFactory) -> None:
    validate_entry(make_entry(), corridor, NOW)


def test_unknown_post(corridor: Corridor, make_entry: EntryFactory) -> None:
    with pytest.raises(UnknownPostError, match=r"^post: unknown post 'P99' in corridor 'test'"):
        validate_entry(make_entry(post="P99"), corridor, NOW)


def test_negative_count_names_the_category(corridor: Corridor, make_entry: EntryFactory) -> None:
    with pytest.raises(
        NegativeCountError, match=r"^people\.returnees: must not be negative, got -3"
    ):
        validate_entry(make_entry(people=People(returnees=-3)), corridor, NOW)


def test_negative_weight(corridor: Corridor, make_entry: EntryFactory) -> None:
    cargo = (CargoLine(CargoCategory.FOOD, 10), CargoLine(CargoCategory.FUEL, -5))
    with pytest.raises(NegativeCountError, match=r"^cargo\[1\]\.kg: must not be negative"):
        validate_entry(make_entry(cargo=cargo), corridor, NOW)


def test_cargo_without_weight(corridor: Corridor, make_entry: EntryFactory) -> None:
    with pytest.raises(MissingWeightError, match=r"^cargo\[0\]\.kg: medicine cargo has no weight"):
        validate_entry(make_entry(cargo=(CargoLine(CargoCategory.MEDICINE, 0),)), corridor, NOW)


def test_cargo_without_weight_on_the_wire(make_entry: EntryFactory) -> None:
    data = make_entry().to_json()
    del data["cargo"][0]["kg"]
    with pytest.raises(MissingWeightError, match=r"^cargo\[0\]\.kg: food cargo has no weight"):
        PublicEntry.from_json(data)


@pytest.mark.parametrize("kind", [PassageKind.DENIED, PassageKind.TURNED_BACK])
def test_denial_needs_a_reason(
    corridor: Corridor, make_entry: EntryFactory, kind: PassageKind
) -> None:
    with pytest.raises(MissingReasonError, match=rf"^reason: a {kind.value} passage needs"):
        validate_entry(make_entry(kind=kind), corridor, NOW)
    validate_entry(make_entry(kind=kind, reason=ReasonCode.NO_PERMIT), corridor, NOW)


def test_a_reason_on_a_passed_entry_is_refused(
    corridor: Corridor, make_entry: EntryFactory
) -> None:
    with pytest.raises(MissingReasonError, match="only denied or turned_back"):
        validate_entry(make_entry(reason=ReasonCode.OTHER), corridor, NOW)


def test_time_too_far_in_the_future(corridor: Corridor, make_entry: EntryFactory) -> None:
    later = NOW + timedelta(minutes=11)
    with pytest.raises(FutureTimeError, match=r"^observed_at: 2020-12-01T12:11:00Z is more than"):
        validate_entry(make_entry(observed_at=later), corridor, NOW)
    validate_entry(make_entry(observed_at=NOW + timedelta(minutes=9)), corridor, NOW)


def test_entry_over_the_size_limit(
    corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    big = make_entry(convoy="x" * 70_000)
    with pytest.raises(EntryTooLargeError, match=r"^entry: 70,\d{3} bytes, over the 65,535 limit"):
        validate_entry(big, corridor, NOW)
    with pytest.raises(EntryTooLargeError, match=r"^entry: \d{2},\d{3} bytes, over 65,535"):
        SignedPassage.sign(big, post_key)


def test_the_largest_entry_that_fits_is_accepted(
    corridor: Corridor, make_entry: EntryFactory, post_key: SigningKey
) -> None:
    base = SignedPassage.sign(make_entry(convoy=""), post_key)
    room = 65_535 - len(base.raw)
    fitted = SignedPassage.sign(make_entry(convoy="x" * room), post_key)
    assert len(fitted.raw) == 65_535
    with pytest.raises(EntryTooLargeError):
        SignedPassage.sign(make_entry(convoy="x" * (room + 1)), post_key)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(kind="vanished"), "kind"),
        (lambda d: d.update(direction="up"), "direction"),
        (lambda d: d.update(vehicle_class="tank"), "vehicle_class"),
        (lambda d: d.update(event_id="not-a-uuid"), "event_id"),
        (lambda d: d.update(observed_at="1 Dec 2020"), "observed_at"),
        (lambda d: d["people"].update(returnees="40"), "people.returnees"),
        (lambda d: d["cargo"][0].update(category="gold"), r"cargo\[0\].category"),
        (lambda d: d.update(colour="red"), "entry.colour"),
        (lambda d: d.update(private="abc"), "private"),
        (lambda d: d.update(observed_at="2020-12-01T12:15:00+04:00"), "observed_at"),
        (lambda d: d.update(observed_at="2020-12-01T08:15:00.5Z"), "observed_at"),
        (lambda d: d.update(event_id="6F1C2B9E-3A4D-4E5F-8A9B-0C1D2E3F4A5B"), "event_id"),
        (lambda d: d["people"].update(crew=True), "people.crew"),
        (lambda d: d["people"].update(crew=2.0), "people.crew"),
        (lambda d: d["people"].update(crew=2**53), "people.crew"),
        (lambda d: d["people"].pop("crew"), "people.crew"),
    ],
)
def test_wire_format_errors_name_the_field(
    make_entry: EntryFactory, change: object, field: str
) -> None:
    data = make_entry().to_json()
    change(data)  # type: ignore[operator]
    with pytest.raises(ValidationError, match=rf"^{field}: "):
        PublicEntry.from_json(data)


def test_from_json_round_trips(make_entry: EntryFactory) -> None:
    entry = make_entry(kind=PassageKind.DENIED, reason=ReasonCode.NO_PERMIT, convoy="C-1")
    assert PublicEntry.from_json(entry.to_json()) == entry
