"""The house's structure holds: the layers' import contracts (also run by `make test` as
`lint-imports`), and the few flask-smorest hooks we override, which are private and so pinned
(requirements-dev.lock) and checked here: a release that drops or stops calling one fails this
test rather than changing the spec or the error answers silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import flask_smorest
import pytest

from api import create_app
from api.config import PROJECT_ROOT
from api.web.http import Api

OVERRIDDEN = ("_register_responses", "_register_pagination_header", "_register_error_handlers")


@pytest.mark.parametrize("hook", OVERRIDDEN)
def test_the_flask_smorest_hooks_we_override_exist_and_are_called(hook, monkeypatch):
    assert callable(getattr(flask_smorest.Api, hook, None)), hook
    assert hook in vars(Api), hook  # ours replaces it
    calls = []
    original = getattr(Api, hook)

    def recorded(self, *args, **kwargs):
        calls.append(hook)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Api, hook, recorded)
    create_app({"TESTING": True})
    assert calls == [hook]


def test_every_error_goes_through_our_one_handler(client):
    for url in ("/nowhere", "/v1/units/nowhere", "/v1/units?page_size=0"):
        response = client.get(url)
        assert response.mimetype == "application/problem+json", url
        assert set(response.json) >= {"type", "title", "status", "detail", "instance"}, url


def test_the_layers_keep_their_import_contracts():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout
