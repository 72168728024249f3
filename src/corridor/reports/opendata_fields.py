"""The columns of the open data files, declared once as data.

Every file's header, HXL hashtag row, Parquet schema, Data Package schema and the data dictionary
page are all built from these lists, so they cannot disagree. Tags are HXL core hashtags with
attributes (https://hxlstandard.org/standard/1-1final/dictionary/); the one the standard has no
word for, the log index, is an ``#x_`` extension hashtag.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa  # type: ignore[import-untyped]

from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    ReasonCode,
    VehicleClass,
)

#: The project's data licence: attribution only, the usual choice for open humanitarian data
#: (HDX's own default), so anyone may reuse the figures if they say where they came from.
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}

#: Bumped when a file's layout changes, so cached files built by an older version are rebuilt.
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Field:
    """One column: its name, HXL hashtag, Table Schema type, whether it may be empty, meaning.

    ``type`` is a Frictionless Table Schema type (``integer``, ``string``, ``date``, ``time``);
    :func:`arrow_type` gives its Parquet counterpart.
    """

    name: str
    hxl: str
    type: str
    description: str
    required: bool = True
    values: tuple[str, ...] = ()


_ARROW = {
    "integer": pa.int64(),
    "string": pa.string(),
    "date": pa.date32(),
    "time": pa.time32("ms"),
}


def arrow_type(field: Field) -> pa.DataType:
    return _ARROW[field.type]


def _names(enum: type[object]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)  # type: ignore[attr-defined]


_DAY = Field("day", "#date", "date", "Day the post observed the passage (UTC), YYYY-MM-DD.")
_POST_ID = Field("post_id", "#loc+code", "string", "Id of the post that recorded it, e.g. P01.")
_POST_NAME = Field(
    "post_name",
    "#loc+name",
    "string",
    "The post's name; a place with two names shows both, joined with ' / '.",
)
_KIND = Field(
    "kind",
    "#event+type",
    "string",
    "What the post observed or decided.",
    values=_names(PassageKind),
)
_DIRECTION = Field(
    "direction",
    "#event+direction",
    "string",
    "Direction of travel: inbound runs from the corridor's first endpoint towards its last, "
    "outbound the other way.",
    values=_names(Direction),
)
_VEHICLE_CLASS = Field(
    "vehicle_class",
    "#item+vehicle+type",
    "string",
    "Class of vehicle.",
    values=_names(VehicleClass),
)


def _people(noun: str, meaning: str) -> Field:
    return Field(noun, f"#indicator+num+{noun}", "integer", meaning)


_RESIDENTS = _people("residents", "People on board counted as residents.")
_RETURNEES = _people("returnees", "People on board counted as returnees (displaced going home).")
_CREW = _people("crew", "People on board counted as crew (drivers, escorts, staff).")
_OTHER = Field(
    "other", "#indicator+num+other_people", "integer", "People on board in no other category."
)
_CARGO_TOTAL = Field(
    "cargo_kg",
    "#indicator+num+cargo+kg+total",
    "integer",
    "Cargo on board, all categories, in kilograms.",
)

PASSAGE_FIELDS: tuple[Field, ...] = (
    Field(
        "log_index",
        "#x_log_index",
        "integer",
        "Index of the passage's signed entry in the public log (/log/): the row's proof.",
    ),
    Field(
        "event_id",
        "#event+id",
        "string",
        "The passage's event id (a UUID), as in its log entry and /api/v1/passages/{event_id}.",
    ),
    _DAY,
    Field("time", "#date+time", "time", "Time of day the post observed it (UTC), HH:MM:SS."),
    _POST_ID,
    _POST_NAME,
    _KIND,
    _DIRECTION,
    _VEHICLE_CLASS,
    Field(
        "vehicle",
        "#item+vehicle+id",
        "string",
        "The vehicle's pseudonym: the same vehicle has the same one, its plate is never shown.",
    ),
    _RESIDENTS,
    _RETURNEES,
    _CREW,
    _OTHER,
    _CARGO_TOTAL,
    *(
        Field(
            f"cargo_{category.value}_kg",
            f"#indicator+num+cargo+kg+{category.value}",
            "integer",
            f"Cargo of category {category.value} on board, in kilograms.",
        )
        for category in CargoCategory
    ),
    Field(
        "reason",
        "#event+reason",
        "string",
        "Why the vehicle was denied or turned back (empty for other kinds).",
        required=False,
        values=_names(ReasonCode),
    ),
    Field(
        "convoy",
        "#group+convoy+id",
        "string",
        "Id of the escorted convoy the vehicle travelled in (empty if none).",
        required=False,
    ),
)

DAILY_FIELDS: tuple[Field, ...] = (
    _DAY,
    _POST_ID,
    _POST_NAME,
    _KIND,
    _DIRECTION,
    _VEHICLE_CLASS,
    Field(
        "events",
        "#indicator+num+events",
        "integer",
        "Passages of this kind, direction and class at this post on this day.",
    ),
    _RESIDENTS,
    _RETURNEES,
    _CREW,
    _OTHER,
    _CARGO_TOTAL,
)

#: Key columns of the daily table: one row per combination.
DAILY_KEY = ("day", "post_id", "kind", "direction", "vehicle_class")

#: Properties of corridor.geojson's features (no HXL: GeoJSON is not a table).
GEOJSON_PROPERTIES: tuple[Field, ...] = (
    Field("layer", "", "string", "band, route or post."),
    Field("corridor", "", "string", "The corridor's id."),
    Field("route_version", "", "integer", "Route version the feature belongs to."),
    Field("effective_from", "", "date", "First day the route version is in force."),
    Field(
        "effective_to",
        "",
        "date",
        "Day the route version stops being in force (exclusive); empty: still in force.",
        required=False,
    ),
    Field("width_m", "", "number", "Band only: the corridor's agreed width in metres."),
    Field("length_m", "", "number", "Route only: the route's length in metres."),
    Field("description", "", "string", "Route only: what the route version is."),
    Field("id", "", "string", "Post only: the post's id (post_id in the tables)."),
    Field("names", "", "array", "Post only: every name of the post."),
    Field("label", "", "string", "Post only: every name joined with ' / ' (post_name)."),
    Field("kind", "", "string", "Post only: checkpoint or observation."),
    Field("chainage_m", "", "number", "Post only: distance along the route in metres."),
    Field("in_band", "", "boolean", "Post only: whether the post stands inside the band."),
)


def table_schema(fields: tuple[Field, ...], primary_key: tuple[str, ...]) -> dict[str, object]:
    """The Frictionless Table Schema of ``fields``, each with its HXL hashtag as ``hxl``."""
    described: list[dict[str, object]] = []
    for field in fields:
        constraints: dict[str, object] = {"required": field.required}
        if field.values:
            constraints["enum"] = list(field.values)
        if field.type == "integer":
            constraints["minimum"] = 0
        entry: dict[str, object] = {
            "name": field.name,
            "type": field.type,
            "description": field.description,
            "hxl": field.hxl,
            "constraints": constraints,
        }
        described.append(entry)
    return {"fields": described, "primaryKey": list(primary_key), "missingValues": [""]}


def arrow_schema(fields: tuple[Field, ...], metadata: dict[str, str]) -> pa.Schema:
    """The Parquet schema of ``fields``: types, not-null where a value is always present, and
    each field's description and HXL hashtag in its metadata."""
    return pa.schema(
        [
            pa.field(
                f.name,
                arrow_type(f),
                nullable=not f.required,
                metadata={"description": f.description, "hxl": f.hxl},
            )
            for f in fields
        ],
        metadata=metadata,
    )
