"""The open data under /data/: files read back by the tools people will open them with (libhxl,
pyarrow, frictionless), every row traced to its log entry, and no private value anywhere."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import frictionless
import hxl  # type: ignore[import-untyped]
import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from corridor.cli import data as data_cli
from corridor.ledger.tiles import decode_entry_bundle
from corridor.model.vocabulary import CargoCategory, PassageKind, PeopleCategory
from corridor.reports.opendata import (
    export_passages_parquet,
    passage_batches,
    published_size,
)
from corridor.reports.opendata_cache import OpenDataCache
from corridor.reports.opendata_fields import DAILY_FIELDS, LICENCE, PASSAGE_FIELDS
from corridor.reports.opendata_package import FILES
from corridor.sim.scenario import Scenario
from corridor.store import queries
from corridor.store.engine import Store, open_store, sqlite_url
from corridor.store.schema import log_state, permits, private_records, vehicles
from corridor.web.app import create_app

TABLE_FILES = ("passages.csv", "passages.parquet", "daily.csv", "daily.parquet")


@pytest.fixture(scope="module")
def downloads(client: TestClient) -> dict[str, bytes]:
    """Every file as /data/ serves it."""
    files: dict[str, bytes] = {}
    for spec in FILES:
        response = client.get(f"/data/{spec.name}")
        assert response.status_code == 200, (spec.name, response.text)
        files[spec.name] = response.content
    return files


@pytest.fixture(scope="module")
def passage_count(store: Store) -> int:
    with store.read() as conn:
        # The demo publishes its whole log: every stored passage is in the files.
        assert published_size(conn) == queries.log_size(conn)
        return queries.count_passages(conn)


def _saved(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _hxl(path: Path) -> Any:
    """libhxl's reader of a local file; ``utf-8-sig`` so the BOM is not read into the first
    header (libhxl would keep it otherwise)."""
    return hxl.data(str(path), hxl.InputOptions(allow_local=True, encoding="utf-8-sig"))


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, _hashtags, *rows = lines
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_files_are_served_with_their_types_and_as_attachments(client: TestClient) -> None:
    expected = {
        "passages.csv": "text/csv; charset=utf-8",
        "passages.parquet": "application/vnd.apache.parquet",
        "daily.csv": "text/csv; charset=utf-8",
        "daily.parquet": "application/vnd.apache.parquet",
        "corridor.geojson": "application/geo+json",
        "datapackage.json": "application/json; charset=utf-8",
    }
    for name, media_type in expected.items():
        response = client.get(f"/data/{name}")
        assert response.headers["content-type"] == media_type
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    missing = client.get("/data/plates.csv")
    assert missing.status_code == 404
    assert "passages.csv" in missing.json()["message"]


def test_passages_csv_opens_in_libhxl_with_every_tag(
    downloads: dict[str, bytes], passage_count: int, tmp_path: Path
) -> None:
    content = downloads["passages.csv"]
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM that tells Excel it is UTF-8
    with _hxl(_saved(tmp_path, "passages.csv", content)) as dataset:
        rows = list(dataset)
        columns = dataset.columns
    assert [c.header for c in columns] == [f.name for f in PASSAGE_FIELDS]
    assert [c.display_tag for c in columns] == [f.hxl for f in PASSAGE_FIELDS]
    assert columns[2].tag == "#date"
    assert "residents" in columns[10].attributes
    assert len(rows) == passage_count
    names = {row.get("#loc+name") for row in rows}
    assert names >= {"Kornidzor entry", "Stepanakert / Khankendi"}
    assert sum(int(row.get("#indicator+num+returnees")) for row in rows) > 0


def test_daily_csv_has_bom_and_hashtags(downloads: dict[str, bytes], tmp_path: Path) -> None:
    content = downloads["daily.csv"]
    assert content.startswith(b"\xef\xbb\xbf")
    with _hxl(_saved(tmp_path, "daily.csv", content)) as dataset:
        assert [c.display_tag for c in dataset.columns] == [f.hxl for f in DAILY_FIELDS]
        assert len(list(dataset)) > 0


def test_passages_parquet_has_the_declared_schema(
    downloads: dict[str, bytes], passage_count: int
) -> None:
    parquet = pq.ParquetFile(io.BytesIO(downloads["passages.parquet"]))
    schema = parquet.schema_arrow
    assert schema.names == [f.name for f in PASSAGE_FIELDS]
    assert schema.field("log_index").type == pa.int64()
    assert schema.field("day").type == pa.date32()
    assert pa.types.is_time(schema.field("time").type)
    for field in PASSAGE_FIELDS:
        arrow = schema.field(field.name)
        assert arrow.nullable == (not field.required), field.name
        assert arrow.metadata is not None
        assert arrow.metadata[b"description"].decode() == field.description
        assert arrow.metadata[b"hxl"].decode() == field.hxl
    assert schema.metadata[b"simulated"] == b"true"
    assert b"SIMULATED" in schema.metadata[b"title"]
    assert LICENCE["name"].encode() in schema.metadata[b"licence"]
    assert parquet.metadata.num_rows == passage_count
    table = parquet.read()
    assert table.column("log_index").to_pylist() == sorted(table.column("log_index").to_pylist())


def test_parquet_is_written_a_row_group_per_batch(store: Store, tmp_path: Path) -> None:
    with store.read() as conn:
        batches = list(passage_batches(conn, batch=100))
        written = export_passages_parquet(conn, tmp_path / "p.parquet")
        stored = queries.count_passages(conn)
    assert [len(b["log_index"]) for b in batches[:-1]] == [100] * (len(batches) - 1)
    indices = [i for b in batches for i in b["log_index"]]
    assert indices == sorted(set(indices)) and len(indices) == stored  # keyset pages, no gap
    assert written == stored == pq.ParquetFile(tmp_path / "p.parquet").metadata.num_rows
    # Without a corridor the post's id stands in for its name (the benchmark's call).
    names = pq.read_table(tmp_path / "p.parquet", columns=["post_id", "post_name"]).to_pylist()
    assert all(row["post_name"] == row["post_id"] for row in names)


def test_daily_sums_equal_the_summary_api(client: TestClient, downloads: dict[str, bytes]) -> None:
    summary = client.get("/api/v1/summary").json()
    rows = _csv_rows(downloads["daily.csv"])
    events: Counter[tuple[str, str]] = Counter()
    people: Counter[str] = Counter()
    for row in rows:
        events[row["kind"], row["direction"]] += int(row["events"])
        if row["kind"] == PassageKind.PASSED:
            for category in PeopleCategory:
                people[category.value] += int(row[category.value])
    for kind, by_direction in summary["passages"].items():
        for direction, count in by_direction.items():
            assert events[kind, direction] == count, (kind, direction)
    assert sum(events.values()) == summary["events"]
    assert dict(people) == summary["people"]
    parquet = pq.read_table(io.BytesIO(downloads["daily.parquet"])).to_pylist()
    assert len(parquet) == len(rows)
    assert sum(r["events"] for r in parquet) == summary["events"]


def test_datapackage_validates_after_export(
    demo_dir: Path, scenario: Scenario, passage_count: int, tmp_path: Path
) -> None:
    app = typer.Typer()
    data_cli.register(app)
    app.callback()(lambda: None)
    out = tmp_path / "open-data"
    result = CliRunner().invoke(app, ["data", "export", "--dir", str(demo_dir), str(out)])
    assert result.exit_code == 0, result.output
    assert f"passages.csv\t{passage_count} rows" in result.output
    assert "SIMULATED" in result.output
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "message"])
    checked = {task.name: task for task in report.tasks}
    assert checked["passages-csv"].stats["rows"] == passage_count
    package = json.loads((out / "datapackage.json").read_text())
    assert package["simulated"] is True
    assert "SIMULATED" in package["title"] and "SIMULATED" in package["description"]
    assert package["licenses"] == [LICENCE]
    assert {r["path"] for r in package["resources"]} == {f.name for f in FILES[:-1]}
    passages = next(r for r in package["resources"] if r["path"] == "passages.parquet")
    declared = [f["name"] for f in passages["schema"]["fields"]]
    assert pq.read_schema(out / "passages.parquet").names == declared
    assert all("description" in f and "hxl" in f for f in passages["schema"]["fields"])


def test_a_broken_file_fails_validation(scenario: Scenario, store: Store, tmp_path: Path) -> None:
    """The validation above is real: a CSV whose figures do not fit its schema fails it."""
    from corridor.reports.opendata_package import export_all

    with store.read() as conn:
        export_all(conn, scenario.corridor, simulated=True, out_dir=tmp_path)
    text = (tmp_path / "daily.csv").read_text(encoding="utf-8-sig").splitlines()
    text[2] = text[2].rsplit(",", 1)[0] + ",lots"
    (tmp_path / "daily.csv").write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_every_row_matches_its_log_entry(
    downloads: dict[str, bytes], store: Store, scenario: Scenario
) -> None:
    rows = _csv_rows(downloads["passages.csv"])
    assert rows
    with store.read() as conn:
        for row in rows:
            raw = queries.log_entry(conn, int(row["log_index"]))
            assert raw is not None, row["log_index"]
            entry = orjson.loads(raw)
            assert entry["type"] == "passage"
            body = entry["body"]
            assert row["event_id"] == body["event_id"]
            assert f"{row['day']}T{row['time']}Z" == body["observed_at"]
            assert row["post_id"] == body["post"]
            assert row["post_name"] == scenario.corridor.post(body["post"]).label
            for name in ("kind", "direction", "vehicle_class", "vehicle"):
                assert row[name] == body[name], name
            for category in PeopleCategory:
                assert int(row[category.value]) == body["people"][category.value]
            kg: Counter[str] = Counter()
            for line in body["cargo"]:
                kg[line["category"]] += line["kg"]
            assert int(row["cargo_kg"]) == sum(kg.values())
            for cargo in CargoCategory:
                assert int(row[f"cargo_{cargo.value}_kg"]) == kg[cargo.value]
            assert (row["reason"] or None) == body["reason"]
            assert (row["convoy"] or None) == body["convoy"]


def _private_values(store: Store) -> set[str]:
    values: set[str] = set()
    with store.read() as conn:
        for (record,) in conn.execute(select(private_records.c.record)):
            data = json.loads(record)
            values.update([data["plate"], data["driver"], *data["documents"]])
            values.update(v for person in data["manifest"] for v in person.values())
        for plate, shown in conn.execute(select(vehicles.c.plate, vehicles.c.plate_display)):
            values.update([plate, shown])
        values.update(code for (code,) in conn.execute(select(permits.c.code)))
    return {v for v in values if len(v) >= 5}


def test_no_private_value_appears_in_any_file(downloads: dict[str, bytes], store: Store) -> None:
    private = _private_values(store)
    assert len(private) > 100  # the check below has something to find
    pattern = re.compile("|".join(re.escape(value) for value in sorted(private, key=len)[::-1]))
    for name, content in downloads.items():
        if name.endswith(".parquet"):
            table = pq.read_table(io.BytesIO(content))
            text = json.dumps(table.to_pylist(), default=str) + str(table.schema)
        else:
            text = content.decode("utf-8-sig")
        leaked = pattern.findall(text)
        assert not leaked, (name, leaked[:3])


def test_geojson_has_every_route_version_and_both_names_of_each_post(
    downloads: dict[str, bytes], scenario: Scenario
) -> None:
    document = json.loads(downloads["corridor.geojson"])
    assert document["simulated"] is True and "SIMULATED" in document["name"]
    features = document["features"]
    corridor = scenario.corridor
    for layer in ("band", "route"):
        dated = {
            (f["properties"]["route_version"], f["properties"]["effective_from"])
            for f in features
            if f["properties"]["layer"] == layer
        }
        assert dated == {(r.version, r.effective_from.isoformat()) for r in corridor.routes}
    posts = {
        f["properties"]["id"]: f["properties"]
        for f in features
        if f["properties"]["layer"] == "post"
    }
    assert set(posts) == {post.id for post in corridor.posts}
    for post in corridor.posts:
        assert posts[post.id]["names"] == list(post.names)
        assert posts[post.id]["label"] == post.label
    assert posts["P10"]["label"] == "Lachin / Berdzor"


def test_index_page_lists_the_files_and_traces_a_row(
    client: TestClient, downloads: dict[str, bytes], passage_count: int
) -> None:
    page = client.get("/data/")
    assert page.status_code == 200
    html = page.text
    for spec in FILES:
        assert f'href="{spec.name}"' in html
    assert 'href="dictionary"' in html
    assert LICENCE["path"] in html and "CC-BY-4.0" in html
    assert "SIMULATED" in html
    # The example link leads to the entry bundle holding the first row's entry.
    start = html.index('href="../log/tile/entries/') + len('href="../')
    bundle = html[start : html.index('"', start)]
    tile = client.get(f"/{bundle}")
    assert tile.status_code == 200
    first = _csv_rows(client.get("/data/passages.csv").content)[0]
    index = int(first["log_index"])
    entry = orjson.loads(decode_entry_bundle(tile.content)[index % 256])
    assert entry["body"]["event_id"] == first["event_id"]
    # Once built, every file shows its rows and size.
    assert "on first download" not in html
    row = html[html.index('data-file="passages.csv"') :]
    assert f'<td class="num">{passage_count:,}</td>' in row[: row.index("</tr>")]


def test_dictionary_page_describes_every_column(client: TestClient) -> None:
    page = client.get("/data/dictionary")
    assert page.status_code == 200
    for field in (*PASSAGE_FIELDS, *DAILY_FIELDS):
        assert f'data-column="{field.name}"' in page.text
        assert field.hxl in page.text
    assert client.get("/data/dictionary?lang=hy").status_code == 200


def test_cache_reuses_files_and_follows_the_published_size(
    demo_dir: Path, scenario: Scenario, tmp_path: Path
) -> None:
    database = tmp_path / "copy.db"
    shutil.copy(demo_dir / "corridor.db", database)
    copy = open_store(sqlite_url(database))
    try:
        cache = OpenDataCache(tmp_path / "cache", scenario.corridor, simulated=True)
        with copy.read() as conn:
            first = cache.file(conn, "passages.csv")
            built = first.stat()
            again = cache.file(conn, "passages.csv")
            size = published_size(conn)
        assert again == first and again.stat().st_mtime_ns == built.st_mtime_ns  # not rebuilt
        with copy.write() as conn:  # as if the log had 100 fewer entries published
            conn.execute(update(log_state).values(size=size - 100))
        with copy.read() as conn:
            fewer = cache.file(conn, "passages.csv")
        assert fewer.parent != first.parent
        rows = _csv_rows(fewer.read_bytes())
        assert rows and max(int(r["log_index"]) for r in rows) < size - 100
        assert len(rows) < len(_csv_rows(first.read_bytes()))
    finally:
        copy.dispose()


def test_the_index_does_not_build_the_files(store: Store, scenario: Scenario) -> None:
    """A fresh app's index counts the passages but leaves the export to the first download."""
    with TestClient(create_app(store, scenario, simulated=True)) as fresh:
        html = fresh.get("/data/").text
        assert html.count("built on first download") == len(FILES)
        assert "counted on first download" in html  # the daily rows: known once built
        cache = fresh.app.state.opendata_cache  # type: ignore[attr-defined]
        with store.read() as conn:
            assert not any(cache.built(conn, f.name) for f in FILES)
