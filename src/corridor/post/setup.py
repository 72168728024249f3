"""Making a post's data directory (``corridor post init``)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from corridor.datadir import DataDir
from corridor.errors import ConfigError
from corridor.keyfile import write_key
from corridor.model.signing import SigningKey
from corridor.post.node import META_HQ, META_POST, POST_KEY_FILE
from corridor.sim.scenario import load_scenario
from corridor.store import queries


@dataclass(frozen=True, slots=True)
class PostSetup:
    """A fresh post directory and the public key an administrator registers at HQ."""

    datadir: DataDir
    post: str
    public_key: bytes

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode("ascii")


def check_hq_url(url: str) -> str:
    """HQ's base URL without a trailing slash; http(s) only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"HQ URL {url!r} must look like https://hq.example.org")
    return url.rstrip("/")


def init_post(
    directory: Path, post: str, hq_url: str, scenario_file: Path, *, key: SigningKey | None = None
) -> PostSetup:
    """Make ``directory`` a post data directory: the scenario, a new random post key (mode
    0600), the store migrated, and the post id and HQ URL recorded. Refuses a non-empty
    directory, and a post the scenario does not have.

    ``key`` is the post key to write instead of a new one: ``corridor demo --posts`` gives each
    post the key the simulation derived for it (never do that for a real post)."""
    hq = check_hq_url(hq_url)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ConfigError(f"{directory} exists and is not empty; choose another --dir")
    load_scenario(scenario_file).corridor.post(post)  # UnknownPostError names the post
    datadir = DataDir.create_fresh(directory, scenario_file, demo=False)
    key = key or SigningKey.generate()
    write_key(datadir.keys / POST_KEY_FILE, key)
    store = datadir.open_store()
    try:
        with store.write() as conn:
            queries.set_meta(conn, META_POST, post)
            queries.set_meta(conn, META_HQ, hq)
    finally:
        store.dispose()
    return PostSetup(datadir, post, key.public_key)
