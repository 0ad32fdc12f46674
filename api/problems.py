"""Problems: every error the API answers is raised as a `Problem`, and one handler
(api/web/http.py) renders it as RFC 9457 `application/problem+json`.

A leaf: it imports nothing of ours (nor Flask), so every layer can raise one — a write that
cannot be made (api/store/writes.py), a parameter the web layer refuses, a record not found.
"""

from __future__ import annotations

from http import HTTPStatus

FieldErrors = list[dict[str, str]]


class Problem(Exception):
    """An error answer: its HTTP `status`, a `detail` for people, the `errors` of each field
    (validation problems) and any headers it needs (`Retry-After`, `WWW-Authenticate`)."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: FieldErrors | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


def field_error(field: str, message: str) -> dict[str, str]:
    """One entry of a problem's `errors`."""
    return {"field": field, "message": message}
