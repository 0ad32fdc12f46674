"""The social services open data API. `create_app` (api/app.py) builds the Flask app.

The packages show the layers, each importing only those below it (checked by `lint-imports`):
`api/resources` (one blueprint per collection) and `api/web` (HTTP) on top, then `api/formats`
(JSON-LD, HSDS, exports, iCalendar), `api/store` (the database, the collections' declarations,
the loader, the writes) and `api/domain` (the status rules); `api/problems.py` and
`api/config.py` are leaves. docs/architecture.md has the picture.

Importing this package loads nothing else: the factory imports its pieces when it runs, so a
collection can be declared before the app is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app (api/app.py): defaults, then the environment, then `config`."""
    from api.app import create_app as build

    return build(config)
