"""Private key files: one Ed25519 seed per file, base64, readable by its owner only."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from corridor.errors import ConfigError, VerificationError
from corridor.ledger.keys import Ed25519Signer
from corridor.model.signing import SigningKey


def write_key(path: Path, key: SigningKey) -> None:
    """Write ``key`` to ``path`` with mode 0600, refusing to overwrite an existing key."""
    write_secret(path, key.seed)


def write_secret(path: Path, secret: bytes) -> None:
    """Write 32 secret bytes (a seed or an HMAC key) as one base64 line, mode 0600."""
    _write_private(path, base64.b64encode(secret).decode("ascii") + "\n")


def write_log_key(path: Path, signer: Ed25519Signer) -> None:
    """Write the log's key in Go's note format (``PRIVATE+KEY+<origin>+<id>+<key>``), which
    other tlog tools read, with mode 0600."""
    _write_private(path, signer.to_skey() + "\n")


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only; never replace an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"{path} already exists; refusing to overwrite a key") from exc
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def read_log_key(path: Path) -> Ed25519Signer:
    try:
        return Ed25519Signer.from_skey(path.read_text().strip())
    except OSError as exc:
        raise ConfigError(f"cannot read log key file {path}: {exc.strerror}") from exc
    except VerificationError as exc:
        raise ConfigError(f"{path} is not a log key (PRIVATE+KEY+...): {exc}") from exc


def read_key(path: Path) -> SigningKey:
    """Read an Ed25519 private key written by :func:`write_key`."""
    return SigningKey(read_secret(path))


def read_secret(path: Path) -> bytes:
    """Read 32 secret bytes written by :func:`write_secret`."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path}: {exc.strerror}") from exc
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{path} is not a key file (expected one base64 line)") from exc
    if len(seed) != 32:
        raise ConfigError(f"{path} holds {len(seed)} bytes, a key is 32")
    return seed
