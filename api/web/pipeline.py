"""The cross-cutting steps every request passes, in one place and one order.

`Pipeline(step, step, ...)` registers one before-request, one after-request and one teardown
hook with Flask and runs the steps itself: `before` in the order listed (a step may answer
early: a 429, a 304), then the view, then `after` in the reverse order (the first step sees the
response last), then `teardown`. The app factory lists the steps, a sentence each.

What the steps of one request hand each other is `state()`, a typed `RequestState`, instead of
keys on Flask's `g` known only by convention.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import Token
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from flask import Flask, g
from werkzeug.wrappers import Response

if TYPE_CHECKING:  # the steps that hand these on import this module
    from api.store.tokens import Identity
    from api.web.ratelimit import Usage


@dataclass
class RequestState:
    """What one request's steps and its view hand each other."""

    # The languages `lang=` asks for, and the token that resets them (api.web.http.Languages).
    languages: tuple[str, ...] | None = None
    language_token: Token[tuple[str, ...]] | None = None
    # The client's use of its rate limit, for the RateLimit headers (api.web.ratelimit).
    rate_limit: Usage | None = None
    # What the answer is valid under (api.web.caching): the ETag and Last-Modified, who it is
    # for (a history's admin or public body), and whether it is a 304.
    etag: str | None = None
    last_modified: datetime | None = None
    # The data version (and its time) a body to build is labelled with; a dump is built at it.
    version: tuple[int, datetime | None] | None = None
    audience: str = ""
    not_modified: bool = False
    # Answers that depend on who asks: private, and varying by Authorization.
    private: bool = False
    vary_authorization: bool = False
    # The stored published form of the record an item view serves, read with its validators
    # (api.web.caching): (model, id, form); the view uses it instead of reading it again.
    record_form: tuple[type, str | None, str | None] | None = None
    # A page's links, sent as a Link header too (api.web.pagination).
    page_links: dict[str, str | None] | None = None
    # Who reads an edit log, once asked (api.web.edit_log): `reader_known` says it was asked.
    reader: Identity | None = None
    reader_known: bool = False


def state() -> RequestState:
    """This request's state (made on first use)."""
    found = g.get("request_state")
    if found is None:
        found = g.request_state = RequestState()
    return found


class Step(Protocol):
    """A cross-cutting step: what it does before the view (an answer ends the request there),
    after it, and when the request is torn down."""

    def before(self) -> Response | None: ...

    def after(self, response: Response) -> Response: ...

    def teardown(self, error: BaseException | None) -> None: ...


class BaseStep:
    """A step that does nothing at each stage unless it says otherwise."""

    def before(self) -> Response | None:
        return None

    def after(self, response: Response) -> Response:
        return response

    def teardown(self, error: BaseException | None) -> None:
        return None


class Pipeline:
    def __init__(self, *steps: Step) -> None:
        self.steps: Sequence[Step] = steps

    def init_app(self, app: Flask) -> None:
        app.before_request(self.before)
        app.after_request(self.after)
        app.teardown_request(self.teardown)

    def before(self) -> Response | None:
        for step in self.steps:
            answer = step.before()
            if answer is not None:
                return answer
        return None

    def after(self, response: Response) -> Response:
        for step in reversed(self.steps):
            response = step.after(response)
        return response

    def teardown(self, error: BaseException | None) -> None:
        for step in reversed(self.steps):
            step.teardown(error)
        # The state is this request's: a request that shares the application context (a test
        # client or a script inside `app.app_context()`) starts with a state of its own.
        g.pop("request_state", None)
