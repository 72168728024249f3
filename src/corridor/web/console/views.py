"""What the console's templates show, built from the node: choices, counts, today's passages
and a receipt. Presentation only; the rules are :mod:`corridor.post`'s."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import segno

from corridor.errors import NotFoundError
from corridor.model.vocabulary import (
    KINDS_WITH_REASON,
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)
from corridor.post.node import PostNode
from corridor.post.records import OutboxRow

#: Decisions in the order of the form (the first is the default).
KIND_ORDER = (
    PassageKind.PASSED,
    PassageKind.INSPECTED,
    PassageKind.DENIED,
    PassageKind.TURNED_BACK,
    PassageKind.ARRIVED,
)

#: Keyboard shortcuts (Alt + key), shown next to what they do; console.js implements them.
SHORTCUTS = {
    "direction": {"inbound": "I", "outbound": "O"},
    "kind": {"passed": "P", "inspected": "N", "denied": "D", "turned_back": "T", "arrived": "A"},
}


def label(value: str) -> str:
    return value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    text: str
    key: str | None = None


def choices(node: PostNode) -> dict[str, list[Choice]]:
    """The options of every select of the passage form."""
    first, last = (place.label for place in node.corridor.endpoints)
    where = {"inbound": f"{first} → {last}", "outbound": f"{last} → {first}"}
    return {
        "vehicle_class": [Choice(c.value, label(c.value)) for c in VehicleClass],
        "direction": [
            Choice(d.value, f"{d.value} ({where[d.value]})", SHORTCUTS["direction"][d.value])
            for d in Direction
        ],
        "kind": [Choice(k.value, label(k.value), SHORTCUTS["kind"][k.value]) for k in KIND_ORDER],
        "reason": [Choice(r.value, label(r.value)) for r in ReasonCode],
        "cargo": [Choice(c.value, label(c.value)) for c in CargoCategory],
    }


def reason_kinds() -> str:
    """Decisions that need a reason, for the page's data attribute."""
    return " ".join(sorted(k.value for k in KINDS_WITH_REASON))


def form_values(submitted: Mapping[str, Any] | None) -> dict[str, Any]:
    """Values to put back in the form: the submitted ones, or the defaults."""
    values: dict[str, Any] = {
        "plate": "",
        "vehicle_class": "",
        "direction": "",
        "kind": PassageKind.PASSED.value,
        "reason": "",
        "residents": "0",
        "returnees": "0",
        "crew": "0",
        "other": "0",
        "convoy": "",
        "driver": "",
        "documents": "",
        "notes": "",
        "observed_at": "",
        "permit": "",
        "cargo": [("", "")],
    }
    if submitted:
        values.update({k: v for k, v in submitted.items() if k in values})
    return values


@dataclass(frozen=True, slots=True)
class PassageLine:
    """A passage in today's list (the plate is shown: this page is for the post's operators)."""

    seq: int
    time: str
    plate: str
    vehicle_class: str
    direction: str
    kind: str
    state: str
    log_index: int | None
    has_receipt: bool


def passage_line(row: OutboxRow) -> PassageLine:
    entry = row.public
    return PassageLine(
        seq=row.seq,
        time=row.recorded_at[11:16],
        plate=row.private.plate,
        vehicle_class=label(entry.vehicle_class.value),
        direction=entry.direction.value,
        kind=label(entry.kind.value),
        state=row.state,
        log_index=row.log_index,
        has_receipt=row.receipt is not None,
    )


def receipt_view(row: OutboxRow) -> dict[str, Any]:
    """The printable receipt: public fields only, the log index and the tlog-proof."""
    if row.log_index is None or row.receipt is None:
        raise NotFoundError(
            f"passage {row.seq} has no receipt yet: HQ has not logged it in a published "
            "checkpoint (it is fetched on the next sync)"
        )
    entry = row.public
    fields = [
        ("Event id", str(entry.event_id)),
        ("Corridor", entry.corridor),
        ("Post", entry.post),
        ("Time (UTC)", entry.to_json()["observed_at"]),
        ("Decision", label(entry.kind.value)),
        ("Reason", label(entry.reason.value) if entry.reason else "none"),
        ("Direction", entry.direction.value),
        ("Vehicle class", label(entry.vehicle_class.value)),
        ("Vehicle pseudonym", entry.vehicle),
        ("People", ", ".join(f"{k} {v}" for k, v in entry.people.to_json().items())),
        (
            "Cargo",
            ", ".join(f"{label(c.category.value)} {c.kg:,} kg" for c in entry.cargo) or "none",
        ),
        ("Convoy", entry.convoy or "none"),
        ("Private record commitment", entry.private),
    ]
    return {"seq": row.seq, "log_index": row.log_index, "fields": fields, "proof": row.receipt}


def qr_png(text: str) -> bytes:
    """A PNG QR code of ``text`` (a receipt's tlog-proof)."""
    buffer = io.BytesIO()
    segno.make(text, error="l", micro=False).save(buffer, kind="png", scale=3, border=4)
    return buffer.getvalue()


def error_target(field: str | None) -> str | None:
    """The id of the form element a validation error's field names (``people.crew`` is
    ``crew``, ``cargo[1].kg`` is ``cargo-kg-1``), or None when it names none."""
    if not field:
        return None
    if field.startswith("people."):
        return field.removeprefix("people.")
    if field.startswith("cargo[") and "]." in field:
        index, _, part = field.removeprefix("cargo[").partition("].")
        return f"cargo-{'category' if part == 'category' else 'kg'}-{index}"
    if field in ("plate", "vehicle_class", "direction", "kind", "reason", "convoy", "observed_at"):
        return field
    if field == "permit":
        return "permit-code"
    return None
