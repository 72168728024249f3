"""HQ's side of corridor: everything the mission's headquarters runs.

- :mod:`~corridor.hq.ingest`: the one way into the store (verify, validate, dedupe, sequence,
  store, in one transaction);
- :mod:`~corridor.hq.sync` and :mod:`~corridor.hq.push_order`: posts' signed pushes and registry
  pulls, written in each post's order;
- :mod:`~corridor.hq.publish` and :mod:`~corridor.hq.logread`: integration, the checkpoint by
  compare-and-swap, the static export, and reading tiles and receipts back;
- :mod:`~corridor.hq.bulletins`, :mod:`~corridor.hq.registry`, :mod:`~corridor.hq.vehicles`: the
  signed entries HQ itself writes and the registries posts pull;
- :mod:`~corridor.hq.provision` and :mod:`~corridor.hq.services`: a new HQ, and the services one
  HQ process runs over its data directory.

Nothing here knows HTTP or the command line: ``web`` and ``cli`` call in.
"""
