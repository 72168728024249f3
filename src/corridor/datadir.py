"""A data directory: the store, the keys and the scenario a corridor node runs on.

::

    corridor-data/
      corridor.db        SQLite store (unless CORRIDOR_DATABASE_URL points elsewhere)
      scenario.yaml      the scenario in force (a copy)
      keys/              private keys, mode 0600 (admin.key, log.key, posts/P01.key, ...)
      log/               the public log as static files (checkpoint, tile/...)
      .corridor-demo     present when `corridor demo` made the directory (it may wipe it)
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from corridor.errors import ConfigError
from corridor.sim.scenario import Scenario, load_scenario
from corridor.store.engine import Store, open_store, sqlite_url

DEMO_MARKER = ".corridor-demo"


def log_origin(corridor_id: str) -> str:
    """The log's origin line and key name (C2SP tlog-checkpoint), e.g. ``corridor.local/lachin``."""
    return f"corridor.local/{corridor_id}"


SCENARIO_FILE = "scenario.yaml"
DATABASE_FILE = "corridor.db"


@dataclass(frozen=True)
class DataDir:
    path: Path

    @property
    def keys(self) -> Path:
        return self.path / "keys"

    @property
    def log(self) -> Path:
        return self.path / "log"

    @property
    def scenario_path(self) -> Path:
        return self.path / SCENARIO_FILE

    def database_url(self, override: str | None = None) -> str:
        return override or sqlite_url(self.path / DATABASE_FILE)

    def open_store(self, database_url: str | None = None) -> Store:
        return open_store(self.database_url(database_url))

    def scenario(self) -> Scenario:
        if not self.scenario_path.exists():
            raise ConfigError(
                f"{self.path} is not a corridor data directory (no {SCENARIO_FILE}); "
                "run `corridor demo --dir` to make one"
            )
        return load_scenario(self.scenario_path)

    @classmethod
    def create_fresh(cls, path: Path, scenario_file: Path, *, demo: bool) -> DataDir:
        """Make an empty data directory at ``path`` holding a copy of the scenario.

        An existing directory is replaced only if an earlier demo made it; anything else is
        refused, so that a typo in ``--dir`` never deletes real data.
        """
        if path.exists():
            if not path.is_dir():
                raise ConfigError(f"{path} exists and is not a directory")
            if any(path.iterdir()):
                if not (path / DEMO_MARKER).exists():
                    raise ConfigError(
                        f"{path} is not empty and was not made by `corridor demo`; "
                        "choose another --dir or empty it yourself"
                    )
                shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        if demo:
            (path / DEMO_MARKER).write_text(
                "made by `corridor demo`; it may replace this directory\n"
            )
        shutil.copyfile(scenario_file, path / SCENARIO_FILE)
        return cls(path)
