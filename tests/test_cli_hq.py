"""HQ's administrative commands, run as a user runs them: init, keys new/register/revoke,
publish; the resulting log passes `corridor audit`."""

from __future__ import annotations

import json
from pathlib import Path

from corridor.ledger import Checkpoint, Note
from tests.processes import run_corridor


def test_an_hq_from_init_to_audit(tmp_path: Path) -> None:
    init = run_corridor("hq", "init", "--dir", "hq", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    vkey = init.stdout.split("log key (give it to auditors): ")[1].strip()

    new = run_corridor("keys", "new", "--post", "P07", cwd=tmp_path)
    assert new.returncode == 0, new.stderr
    public_key = new.stdout.strip()
    assert (tmp_path / "P07.key").stat().st_mode & 0o077 == 0

    register = run_corridor(
        "keys", "register", "--dir", "hq", "--post", "P07", "--key", public_key, cwd=tmp_path
    )
    assert register.returncode == 0 and "at log index 2" in register.stdout, register.stderr
    unknown = run_corridor(
        "keys", "register", "--dir", "hq", "--post", "P99", "--key", public_key, cwd=tmp_path
    )
    assert unknown.returncode == 1 and "unknown post 'P99'" in unknown.stderr

    revoke = run_corridor("keys", "revoke", "--dir", "hq", "--key", public_key, cwd=tmp_path)
    assert revoke.returncode == 0 and "at log index 3" in revoke.stdout, revoke.stderr

    publish = run_corridor("hq", "publish", "--dir", "hq", cwd=tmp_path)
    assert publish.returncode == 0, publish.stderr
    assert Checkpoint.from_text(Note.from_text(publish.stdout).text).size == 4

    audit = run_corridor("audit", "hq/log", "--vkey", vkey, "--json", cwd=tmp_path)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] is True


def test_a_bad_key_is_refused_with_a_message(tmp_path: Path) -> None:
    assert run_corridor("hq", "init", "--dir", "hq", cwd=tmp_path).returncode == 0
    bad = run_corridor(
        "keys", "register", "--dir", "hq", "--post", "P07", "--key", "abc", cwd=tmp_path
    )
    assert bad.returncode == 1 and "--key:" in bad.stderr and "Traceback" not in bad.stderr
