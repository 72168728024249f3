"""The post's operator console (served on localhost at the post): log-in, the passage form,
sync counts, today's passages and printable receipts. See docs/console.md."""

from corridor.web.console.app import create_post_app

__all__ = ["create_post_app"]
