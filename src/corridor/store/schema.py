"""The database schema (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Private and public data live in separate tables. Personal data and live positions are held only
in ``private_records``, the registries (``vehicles``, ``permits``, ``operators``,
``convoy_members``, ``devices``) and ``positions``; everything else may be derived from the
public log. Times are stored as the log's
own text form (``2020-12-01T08:15:00Z``), which sorts correctly and reads the same everywhere.
Migrations in ``store/migrations`` create these tables; ``tests/store/test_migrations.py`` checks
that the two never drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: A 64-bit key that is SQLite's rowid there: "INTEGER PRIMARY KEY" is the table's own B-tree
#: key, while "BIGINT PRIMARY KEY" would add a second index to maintain on every insert.
RowKey = BigInteger().with_variant(Integer(), "sqlite")

#: One row per log entry, in log order. ``idx`` is contiguous from 0: the sequencer's invariant.
log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", RowKey, primary_key=True, autoincrement=False),
    Column("type", String(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
)

#: Post, admin and log keys, and when each was valid. ``revoked_at`` is null while in force.
keys = Table(
    "keys",
    metadata,
    Column("public_key", LargeBinary(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("valid_from", String(20), nullable=False),
    Column("revoked_at", String(20)),
    Column("log_index", BigInteger),
)

#: The public projection of each passage, one row per event, for queries and counters.
passages = Table(
    "passages",
    metadata,
    Column("log_index", RowKey, ForeignKey("log_entries.idx"), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("post", String(16), nullable=False),
    Column("observed_at", String(20), nullable=False),
    Column("day", String(10), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("vehicle_class", String(16), nullable=False),
    Column("vehicle", String(64), nullable=False),
    Column("residents", Integer, nullable=False),
    Column("returnees", Integer, nullable=False),
    Column("crew", Integer, nullable=False),
    Column("other", Integer, nullable=False),
    Column("cargo_kg", BigInteger, nullable=False),
    Column("reason", String(32)),
    Column("convoy", String(64)),
    Column("received_at", String(20), nullable=False),
    Column("skew_seconds", Integer, nullable=False, default=0),
)
Index("ix_passages_day", passages.c.day, passages.c.direction, passages.c.vehicle_class)
#: A vehicle's passages in time order: dwell and transit times (reports/transit.py).
Index("ix_passages_vehicle", passages.c.vehicle, passages.c.observed_at)

cargo_lines = Table(
    "cargo_lines",
    metadata,
    Column("log_index", BigInteger, ForeignKey("passages.log_index"), primary_key=True),
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("category", String(32), nullable=False),
    Column("kg", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("kind", String(16), nullable=False),
)
Index("ix_cargo_day", cargo_lines.c.day, cargo_lines.c.category)

#: Counters kept up to date in the ingest transaction (store/counters.py), so the dashboard,
#: bulletins and daily files read a few rows a day instead of aggregating every passage. Each is
#: exactly a GROUP BY over ``passages`` or ``cargo_lines`` (tests/reports/test_daily_counters.py).
#: ``daily_flow``: every event by day, post, kind, direction and class, with its people and kg
#: (reports/daily.py: the bulletins' and open data's rows, read a day or a post at a time).
daily_flow = Table(
    "daily_flow",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("post", String(16), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("direction", String(16), primary_key=True),
    Column("vehicle_class", String(16), primary_key=True),
    Column("events", BigInteger, nullable=False),
    Column("residents", BigInteger, nullable=False),
    Column("returnees", BigInteger, nullable=False),
    Column("crew", BigInteger, nullable=False),
    Column("other", BigInteger, nullable=False),
    Column("cargo_kg", BigInteger, nullable=False),
)

#: The same summed over posts, kind first: the dashboard's figures (reports/summary.py) span
#: every day, and this is a tenth of ``daily_flow``'s rows with ``kind = 'passed'`` one range.
daily_totals = Table(
    "daily_totals",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("direction", String(16), primary_key=True),
    Column("vehicle_class", String(16), primary_key=True),
    Column("events", BigInteger, nullable=False),
    Column("residents", BigInteger, nullable=False),
    Column("returnees", BigInteger, nullable=False),
    Column("crew", BigInteger, nullable=False),
    Column("other", BigInteger, nullable=False),
    Column("cargo_kg", BigInteger, nullable=False),
)

#: Cargo lines' kg by the event's kind, day and the line's category.
daily_cargo = Table(
    "daily_cargo",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("kg", BigInteger, nullable=False),
)

#: Events that carry a reason code (denials, turn-backs) by kind, day and reason.
daily_reasons = Table(
    "daily_reasons",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("reason", String(32), primary_key=True),
    Column("events", BigInteger, nullable=False),
)

#: Personal data. Deleting a row (and so its salt) erases the person: the public entry's
#: commitment then reveals nothing (crypto-shredding).
private_records = Table(
    "private_records",
    metadata,
    Column("log_index", RowKey, ForeignKey("passages.log_index"), primary_key=True),
    Column("salt", LargeBinary(16), nullable=False),
    Column("record", Text, nullable=False),
)

#: Small settings of this store (corridor id, log origin...), written once at set-up.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: Hash tiles (C2SP tlog-tiles), one row per tile at its widest so far; a partial tile is the
#: prefix of the full one, so ``.p/<W>`` is served as the first W hashes.
tiles = Table(
    "tiles",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

#: The published state of the log: one row. ``size`` entries are integrated into the tiles and
#: ``checkpoint`` is the signed note for that size, replaced only by compare-and-swap.
log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("checkpoint", Text, nullable=False),
)

# -- registries (held at HQ, pulled by posts) ---------------------------------------------------

#: Vehicles known to the mission. ``plate`` is the normalised plate (personal data: private).
vehicles = Table(
    "vehicles",
    metadata,
    Column("plate", String(32), primary_key=True),
    Column("plate_display", String(32), nullable=False),
    Column("vehicle_class", String(16), nullable=False),
    Column("registered", Integer, nullable=False, default=1),
)

#: Transit permits; a permit's QR code carries its ``code``.
permits = Table(
    "permits",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("plate", String(32), nullable=False),
    Column("valid_from", String(20), nullable=False),
    Column("valid_to", String(20), nullable=False),
)

#: People who log in: operators (assigned to one post), coordinators and admins (HQ).
operators = Table(
    "operators",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("post", String(16)),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Integer, nullable=False, default=1),
)

#: Alerts raised by the node (an inconsistent checkpoint, a gap in a post's sequence, ...) and,
#: at HQ, by the monitor's rules (corridor.monitor). A monitor alert has a stable ``alert_key``
#: (the same condition updates its row instead of adding one), a severity, the subject it is
#: about (a vehicle pseudonym, post, crew or convoy id), the time it closed, its evidence (JSON:
#: the passage event ids and position ids that triggered it) and its figures (JSON); who
#: acknowledged it and when.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("raised_at", String(20), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("source", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("acknowledged", Integer, nullable=False, default=0),
    Column("alert_key", String(128)),
    Column("severity", String(16)),
    Column("subject", String(64)),
    Column("closed_at", String(20)),
    Column("evidence", Text),
    Column("figures", Text),
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", String(20)),
)
Index("ix_alerts_key", alerts.c.alert_key)

# -- monitoring (HQ only; private: never on a public page, export or log entry) ----------------

#: Trackers (Traccar Client, OsmAnd) and what each one follows: a registered vehicle (by its
#: normalised plate) or a repair crew (by crew id). A revoked device's positions are refused.
devices = Table(
    "devices",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("subject_kind", String(16), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("registered_at", String(20), nullable=False),
    Column("revoked_at", String(20)),
)

#: Positions the intake kept, unknown devices' included (``subject_kind`` NULL). Times are Unix
#: milliseconds, not text: this is the table with the most rows and the purge's range scan.
#: Speed in metres per second, bearing in degrees, altitude and accuracy in metres, battery in %.
positions = Table(
    "positions",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=True),
    Column("device_id", String(64), nullable=False),
    Column("subject_kind", String(16)),
    Column("subject_id", String(64)),
    Column("fixed_at_ms", BigInteger, nullable=False),
    Column("received_at_ms", BigInteger, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed_mps", Float),
    Column("bearing", Float),
    Column("altitude_m", Float),
    Column("accuracy_m", Float),
    Column("battery_pct", Float),
)
Index("ix_positions_fixed", positions.c.fixed_at_ms)
Index("ix_positions_device", positions.c.device_id, positions.c.fixed_at_ms)

#: Convoys (escorted returnee buses): members in their order, a planned departure and route.
convoys = Table(
    "convoys",
    metadata,
    Column("convoy_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("direction", String(16), nullable=False),
    Column("planned_departure", String(20), nullable=False),
    Column("route_version", Integer),
    Column("created_at", String(20), nullable=False),
)

#: A convoy's vehicles, ``position`` 1 at the head; ``plate`` is the normalised plate.
convoy_members = Table(
    "convoy_members",
    metadata,
    Column("convoy_id", String(64), ForeignKey("convoys.convoy_id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("plate", String(32), nullable=False),
)

#: Infrastructure repair crews.
crews = Table(
    "crews",
    metadata,
    Column("crew_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
)

#: Where and when a crew may work: a GeoJSON polygon (WGS84 lon/lat) and a time window.
crew_zones = Table(
    "crew_zones",
    metadata,
    Column("zone_id", Integer, primary_key=True, autoincrement=True),
    Column("crew_id", String(32), ForeignKey("crews.crew_id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("geometry", Text, nullable=False),
    Column("active_from", String(20), nullable=False),
    Column("active_to", String(20), nullable=False),
)

# -- HQ side of sync ---------------------------------------------------------------------------

#: Every (post, seq) HQ has received, so gaps in a post's numbering are reported, not hidden.
post_sequences = Table(
    "post_sequences",
    metadata,
    Column("post", String(16), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False),
)

#: Per post, the highest seq up to which HQ holds every one (1..contiguous_through): the gap check
#: after a push reads only the seqs above it, not the post's whole history.
post_sequence_state = Table(
    "post_sequence_state",
    metadata,
    Column("post", String(16), primary_key=True),
    Column("contiguous_through", BigInteger, nullable=False),
)

# -- post side of sync -------------------------------------------------------------------------

#: Events recorded at this post, in the post's own order. A row is never deleted before HQ has
#: acknowledged it with a log index.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("entry", LargeBinary, nullable=False),
    Column("private_record", Text, nullable=False),
    Column("salt", LargeBinary(16), nullable=False),
    Column("recorded_at", String(20), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("log_index", BigInteger),
    Column("acked_at", String(20)),
    Column("receipt", Text),
)
Index("ix_outbox_pending", outbox.c.log_index, outbox.c.seq)

#: Checkpoints of HQ's log this post has seen and checked, newest last.
seen_checkpoints = Table(
    "seen_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
    Column("seen_at", String(20), nullable=False),
)
