"""A post node against the real HQ app (in process): registry pull, exactly-once pushes through
HQ's one ingest path, checkpoints checked for consistency from HQ's tiles, receipts that verify,
and an operator added at HQ logging in at the post."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from corridor.hq.provision import HqKeys, init_hq
from corridor.hq.registry import ROLE_POST, register_key
from corridor.hq.vehicles import Permit, RegisteredVehicle, register_vehicles
from corridor.model.pseudonym import vehicle_pseudonym
from corridor.post.auth import add_operator, authenticate
from corridor.post.node import PostNode
from corridor.post.setup import init_post
from corridor.post.sync_client import SyncClient
from corridor.sim.scenario import default_scenario_path
from corridor.store.engine import Store
from corridor.store.schema import outbox, passages, private_records
from corridor.web.app import create_app_for_dir
from tests.post.conftest import FAST_HASHER, PASSWORD, TestClient
from tests.post.test_post_node import TRUCK

HQ = "http://hq.test"


@pytest.fixture
def real_hq(tmp_path: Path) -> Iterator[tuple[Path, HqKeys]]:
    datadir, store, keys = init_hq(tmp_path / "hq", default_scenario_path())
    store.dispose()
    yield datadir.path, keys


@pytest.fixture
def post_node(tmp_path: Path, real_hq: tuple[Path, HqKeys]) -> Iterator[PostNode]:
    hq_dir, keys = real_hq
    setup = init_post(tmp_path / "post", "P01", HQ, default_scenario_path())
    store = Store(f"sqlite:///{hq_dir / 'corridor.db'}")
    try:
        since = datetime(2020, 12, 1, tzinfo=UTC)
        register_key(store, "lachin", keys.admin, "P01", ROLE_POST, setup.public_key, since)
        register_vehicles(
            store,
            [RegisteredVehicle("34 AA 123", TRUCK.vehicle_class)],
            [Permit("PRM-1", "34 AA 123", "2020-12-01T00:00:00Z", "2030-01-01T00:00:00Z")],
        )
        add_operator(store, "hq-made", "P01", PASSWORD, hasher=FAST_HASHER)
    finally:
        store.dispose()
    node = PostNode.open(setup.datadir.path)
    yield node
    node.close()


@pytest.fixture
def hq_client(real_hq: tuple[Path, HqKeys]) -> Iterator[TestClient]:
    with TestClient(create_app_for_dir(real_hq[0]), base_url=HQ) as client:
        yield client


def hq_rows(hq_dir: Path) -> tuple[int, int]:
    store = Store(f"sqlite:///{hq_dir / 'corridor.db'}")
    try:
        with store.read() as conn:
            return (
                conn.execute(select(func.count()).select_from(passages)).scalar_one(),
                conn.execute(select(func.count()).select_from(private_records)).scalar_one(),
            )
    finally:
        store.dispose()


def test_a_post_syncs_with_the_real_hq(
    post_node: PostNode, hq_client: TestClient, real_hq: tuple[Path, HqKeys]
) -> None:
    hq_dir, keys = real_hq
    sync = SyncClient(post_node, hq_client)
    update_ = sync.pull_registry()
    assert (update_.vehicles, update_.permits, update_.operators) == (1, 1, 1)
    assert post_node.pseudonym_key() == keys.pseudonym
    assert post_node.log_vkey() == keys.log.verifier().to_vkey()
    assert authenticate(post_node.store, "P01", "hq-made", PASSWORD).username == "hq-made"
    assert post_node.find_permit("PRM-1").plate == "34 AA 123"

    rows = [post_node.record_passage(TRUCK, "hq-made") for _ in range(3)]
    result = sync.push_once()
    assert (result.sent, result.acknowledged, result.duplicates) == (3, 3, 0)
    indices = [post_node.row(r.seq).log_index for r in rows]
    assert indices == sorted(indices) and len(set(indices)) == 3
    assert hq_rows(hq_dir) == (3, 3)
    assert rows[0].public.vehicle == vehicle_pseudonym("34AA123", keys.pseudonym)

    # The answer to the next push is lost: the post pushes the same rows again, HQ logs nothing
    # twice and answers with the first indices.
    with post_node.store.write() as conn:
        conn.execute(update(outbox).values(log_index=None, acked_at=None))
    again = sync.push_once()
    assert (again.acknowledged, again.duplicates) == (3, 3)
    assert [post_node.row(r.seq).log_index for r in rows] == indices
    assert hq_rows(hq_dir) == (3, 3)

    # Receipts once HQ has published a checkpoint covering the entries; each one verified.
    hq_client.app.state.context.hq.publisher.publish()  # type: ignore[attr-defined]
    assert sync.fetch_receipts() == 3
    assert all(post_node.row(r.seq).receipt for r in rows)
    assert not post_node.open_alerts()

    # Later checkpoints are checked for consistency with the earlier ones, from HQ's tiles.
    more = [post_node.record_passage(TRUCK, "hq-made") for _ in range(2)]
    sync.push_once()
    hq_client.app.state.context.hq.publisher.publish()  # type: ignore[attr-defined]
    sync.check_checkpoint(hq_client.get("/log/checkpoint").text)
    assert sync.fetch_receipts() == 2
    assert post_node.counts().pending == 0 and post_node.counts().synced == 5
    assert all(post_node.row(r.seq).receipt for r in more)
    assert not post_node.open_alerts()
