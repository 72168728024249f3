"""The vehicle and permit registries HQ keeps and posts pull (personal data: plates).

Plates are stored normalised (:func:`corridor.model.pseudonym.normalise_plate`) so that a plate
typed with other spacing at a post finds its vehicle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from corridor.model.pseudonym import normalise_plate
from corridor.model.vocabulary import VehicleClass
from corridor.store import queries
from corridor.store.engine import Store
from corridor.store.schema import permits, vehicles


@dataclass(frozen=True, slots=True)
class RegisteredVehicle:
    plate: str
    vehicle_class: VehicleClass


@dataclass(frozen=True, slots=True)
class Permit:
    code: str
    plate: str
    valid_from: str
    valid_to: str


def register_vehicles(
    store: Store, fleet: Iterable[RegisteredVehicle], permit_list: Iterable[Permit] = ()
) -> None:
    """Add vehicles and permits to the registries, in one transaction."""
    with store.write() as conn:
        queries.bulk_insert(
            conn,
            vehicles,
            [
                {
                    "plate": normalise_plate(v.plate),
                    "plate_display": v.plate,
                    "vehicle_class": v.vehicle_class.value,
                    "registered": 1,
                }
                for v in fleet
            ],
        )
        queries.bulk_insert(
            conn,
            permits,
            [
                {
                    "code": p.code,
                    "plate": normalise_plate(p.plate),
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                }
                for p in permit_list
            ],
        )
