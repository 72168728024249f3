"""The tracker registry: which device follows which vehicle or repair crew, and which devices are
revoked (private, like the vehicle registry: it holds plates).

A vehicle is named by its normalised plate (:func:`corridor.model.pseudonym.normalise_plate`)
and must be in the vehicle registry; a crew by its crew id, in the crew registry. A device id is
registered once: a revoked device stays revoked, so a lost or stolen phone cannot be brought
back by mistake. Give the replacement tracker a new id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, bindparam, select

from corridor.errors import ConflictError, CorridorError, NotFoundError, ValidationError
from corridor.hq.osmand import check_device_id
from corridor.model.events import format_time
from corridor.model.pseudonym import normalise_plate
from corridor.monitor.alerts import SubjectKind
from corridor.store.engine import Store
from corridor.store.schema import crews, devices, vehicles


class DeviceRevokedError(CorridorError):
    """A revoked tracker sent a position. 403: the request is understood and the device is known,
    but it is no longer allowed to report (401 would invite it to authenticate, which the OsmAnd
    protocol cannot do)."""

    status_code = 403


@dataclass(frozen=True, slots=True)
class Device:
    """A registered tracker. ``subject_kind`` is vehicle or crew; ``subject_id`` the vehicle's
    normalised plate or the crew id."""

    device_id: str
    subject_kind: SubjectKind
    subject_id: str
    registered_at: str
    revoked_at: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def register_device(
    store: Store,
    device_id: str,
    at: datetime,
    *,
    vehicle: str | None = None,
    crew: str | None = None,
) -> Device:
    """Register ``device_id`` as the tracker of a registered vehicle (its plate, any spacing)
    or of a crew. Exactly one of ``vehicle`` and ``crew``; nothing is stored on any error."""
    check_device_id(device_id)
    if (vehicle is None) == (crew is None):
        raise ValidationError("subject", "name exactly one of a vehicle (plate) or a crew")
    with store.write() as conn:
        if vehicle is not None:
            plate = normalise_plate(vehicle)
            known = conn.execute(
                select(vehicles.c.plate).where(
                    vehicles.c.plate == plate, vehicles.c.registered == 1
                )
            ).first()
            if not plate or known is None:
                raise NotFoundError(
                    "no registered vehicle has that plate: register the vehicle first"
                )
            kind, subject = SubjectKind.VEHICLE, plate
        else:
            assert crew is not None
            if conn.execute(select(crews.c.crew_id).where(crews.c.crew_id == crew)).first() is None:
                raise NotFoundError(f"no crew {crew!r} in the crew registry")
            kind, subject = SubjectKind.CREW, crew
        existing = _lookup(conn, [device_id]).get(device_id)
        if existing is not None:
            state = f"revoked at {existing.revoked_at}" if existing.revoked else "in use"
            raise ConflictError(
                f"device {device_id} is already registered ({state}); a device id is "
                "registered once: give the tracker a new id"
            )
        device = Device(device_id, kind, subject, format_time(at))
        conn.execute(
            devices.insert().values(
                device_id=device.device_id,
                subject_kind=device.subject_kind.value,
                subject_id=device.subject_id,
                registered_at=device.registered_at,
                revoked_at=None,
            )
        )
    return device


def revoke_device(store: Store, device_id: str, at: datetime) -> Device:
    """Revoke a tracker: from now on its positions are refused (403) and not stored."""
    with store.write() as conn:
        existing = _lookup(conn, [device_id]).get(device_id)
        if existing is None:
            raise NotFoundError(f"no device {device_id!r} is registered")
        if existing.revoked:
            raise ConflictError(f"device {device_id} was already revoked at {existing.revoked_at}")
        revoked_at = format_time(at)
        conn.execute(
            devices.update().where(devices.c.device_id == device_id).values(revoked_at=revoked_at)
        )
    return Device(
        existing.device_id,
        existing.subject_kind,
        existing.subject_id,
        existing.registered_at,
        revoked_at,
    )


def list_devices(store: Store) -> list[Device]:
    """Every registered device, revoked ones included, by device id."""
    with store.read() as conn:
        rows = conn.execute(select(devices).order_by(devices.c.device_id)).all()
    return [_device(row._mapping) for row in rows]


#: Built once: the intake looks devices up on every batch, and building a statement costs more
#: than running it.
_BY_IDS = select(devices).where(devices.c.device_id.in_(bindparam("ids", expanding=True)))


def lookup_devices(conn: Connection, device_ids: Iterable[str]) -> dict[str, Device]:
    """The registered devices among ``device_ids`` (one query), by id."""
    return _lookup(conn, device_ids)


#: How long the intake may act on a cached device state: a revocation (from the CLI, another
#: process) is honoured within this many seconds; a newly registered device at once.
DEVICE_TTL_SECONDS = 5.0

_ALL = select(devices)


class DeviceCache:
    """The device registry as the intake sees it, so that a batch of positions costs no query.

    The whole registry (a fleet's trackers: thousands of small rows at most) is reloaded, inside
    the caller's transaction, when it is older than ``ttl`` seconds of ``monotonic`` time. That
    bounds how long a revoked tracker's positions are still taken. A device id the cache does not
    hold is looked up at once, so a tracker registered a moment ago is known on its first report;
    an unregistered one costs that one query per batch while it keeps reporting (it is rare, and
    it raises an alert). Used by one writer thread at a time.
    """

    def __init__(
        self, ttl: float = DEVICE_TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.monotonic = monotonic
        self._devices: dict[str, Device] = {}
        self._loaded_at: float | None = None

    def lookup(self, conn: Connection, device_ids: Iterable[str]) -> dict[str, Device]:
        """The registered devices among ``device_ids``, by id, at most ``ttl`` seconds old."""
        now = self.monotonic()
        if self._loaded_at is None or now - self._loaded_at >= self.ttl:
            rows = conn.execute(_ALL).all()
            self._devices = {row.device_id: _device(row._mapping) for row in rows}
            self._loaded_at = now
        cached = self._devices
        missing = [i for i in set(device_ids) if i not in cached]
        if missing:
            cached.update(_lookup(conn, missing))
        return {i: cached[i] for i in device_ids if i in cached}

    def invalidate(self) -> None:
        """Forget the cached registry: the next lookup reloads it."""
        self._loaded_at = None


def _lookup(conn: Connection, device_ids: Iterable[str]) -> dict[str, Device]:
    wanted = sorted(set(device_ids))
    if not wanted:
        return {}
    rows = conn.execute(_BY_IDS, {"ids": wanted}).all()
    return {row.device_id: _device(row._mapping) for row in rows}


def _device(mapping: RowMapping) -> Device:
    return Device(
        device_id=mapping["device_id"],
        subject_kind=SubjectKind(mapping["subject_kind"]),
        subject_id=mapping["subject_id"],
        registered_at=mapping["registered_at"],
        revoked_at=mapping["revoked_at"],
    )
