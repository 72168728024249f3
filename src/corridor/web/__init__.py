"""The web app: a JSON API under ``/api/v1/`` and the public dashboard at ``/``.

Build it with :func:`corridor.web.app.create_app` (a store and a scenario) or
:func:`corridor.web.app.create_app_for_dir` (a data directory). Front-end libraries are vendored
under ``static/vendor/`` (``scripts/vendor-assets.sh``): nothing loads from a CDN.
"""
