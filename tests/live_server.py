"""A real HTTP server on 127.0.0.1 for tests that need one (a browser, a generated client)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from api import create_app
from api.store.db import db


@contextmanager
def live_server(loaded_database: Path, directory: Path) -> Iterator[str]:
    """Serve an app over a copy of the loaded dataset on a free port; yield its base URL."""
    copy = directory / "live.sqlite3"
    shutil.copyfile(loaded_database, copy)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{copy}"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        db.session.remove()
        db.engine.dispose()
