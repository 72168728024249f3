"""Post nodes: record passages offline into a durable outbox, sync them to HQ exactly once.

::

    node.py          PostNode: record_passage (validate, sign, commit to the outbox), counts
    form.py          PassageForm: what the operator typed, parsed with field-named errors
    records.py       OutboxRow, Counts
    registry.py      registries pulled from HQ (vehicles, permits, keys, operators), lookups
    wire.py          the sync wire format: signed requests, push body, HQ's answer
    checkpoints.py   HQ's checkpoints: signature, consistency from HQ's tiles, alerts
    receipts.py      receipts (C2SP tlog-proofs) fetched from HQ and verified
    sync_client.py   SyncClient: push, pull, receipts, the backoff loop
    auth.py          operators (Argon2), in-memory sessions, CSRF tokens
    setup.py         init_post: a new post data directory and key

The contract with HQ is docs/sync.md; the console is :mod:`corridor.web.console`.
"""

from corridor.post.auth import AuthenticationError, Operator, Sessions, add_operator, authenticate
from corridor.post.checkpoints import HqUnavailableError
from corridor.post.form import PassageForm
from corridor.post.node import PostNode
from corridor.post.records import Counts, OutboxRow
from corridor.post.setup import PostSetup, init_post
from corridor.post.sync_client import Backoff, PushResult, SyncClient

__all__ = [
    "AuthenticationError",
    "Backoff",
    "Counts",
    "HqUnavailableError",
    "Operator",
    "OutboxRow",
    "PassageForm",
    "PostNode",
    "PostSetup",
    "PushResult",
    "Sessions",
    "SyncClient",
    "add_operator",
    "authenticate",
    "init_post",
]
