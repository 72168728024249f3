"""corridor: run a humanitarian transit corridor from its checkpoints, and let anyone prove
what passed through it."""

__version__ = "0.1.0"
