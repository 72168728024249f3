"""The fixed vocabularies of a passage: kinds, directions, vehicle classes, people, cargo, reasons.

They are part of the public log format: adding a value is a format change, renaming one breaks
every verifier, so each list is closed and documented in docs/data-model.md.
"""

from __future__ import annotations

from enum import StrEnum


class PassageKind(StrEnum):
    """What the post observed or decided."""

    ARRIVED = "arrived"
    PASSED = "passed"
    INSPECTED = "inspected"
    DENIED = "denied"
    TURNED_BACK = "turned_back"


#: Kinds that must carry a reason code (and the only ones that may).
KINDS_WITH_REASON = frozenset({PassageKind.DENIED, PassageKind.TURNED_BACK})


class Direction(StrEnum):
    """Direction of travel along the corridor's route.

    ``inbound`` runs from the corridor's first endpoint to its last (in the Lachin scenario from
    Kornidzor towards Stepanakert / Khankendi), ``outbound`` the other way. The words name the
    order of the endpoints in the scenario file, nothing else.
    """

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class VehicleClass(StrEnum):
    """Classes of vehicle recorded at a post."""

    CAR = "car"
    BUS = "bus"
    TRUCK = "truck"
    AMBULANCE = "ambulance"
    REPAIR = "repair"
    OFFICIAL = "official"
    HUMANITARIAN = "humanitarian"


class PeopleCategory(StrEnum):
    """Categories people on board are counted in."""

    RESIDENTS = "residents"
    RETURNEES = "returnees"
    CREW = "crew"
    OTHER = "other"


class CargoCategory(StrEnum):
    """Categories of cargo, weighed in kilograms."""

    FOOD = "food"
    MEDICINE = "medicine"
    FUEL = "fuel"
    CONSTRUCTION = "construction"
    HUMANITARIAN_OTHER = "humanitarian_other"
    COMMERCIAL_OTHER = "commercial_other"


class ReasonCode(StrEnum):
    """Why a vehicle was denied or turned back."""

    NO_PERMIT = "no_permit"
    UNREGISTERED_VEHICLE = "unregistered_vehicle"
    DOCUMENT_MISMATCH = "document_mismatch"
    PROHIBITED_CARGO = "prohibited_cargo"
    INSPECTION_REFUSED = "inspection_refused"
    ROUTE_CLOSED = "route_closed"
    OTHER = "other"
