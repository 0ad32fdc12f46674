"""Bearer tokens of the editor API. No Flask here: `flask tokens ...` (api/cli.py) and the
request authentication (api/editor.py) use it.

A token reads `sst_<public id>_<secret>`. The public id names the stored row; only a SHA-256 of
the secret is kept (the secret is 32 random bytes, so a plain hash is as strong as a slow one),
so a copy of the database reveals no usable token. The hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.store.collections import EDITABLE
from api.store.db import AnySession, utcnow
from api.store.models import ApiToken, Organization

PREFIX = "sst"
PUBLIC_ID = re.compile(r"[0-9a-f]{16}")
# What each scope lets a token write; `admin` writes everything and sees who made each change.
SCOPES = {
    "write:units": "units and their opening hours",
    "write:services": "services",
    "write:channels": "access channels",
    "write:notices": "status notices, their versions and announcements",
    "write:duties": "staff duties",
    "admin": "everything, and the editors' names in the history",
}
# The scope that writes each collection (by its name in the URL), as declared.
SCOPE_OF_KIND = {c.name: c.scope for c in EDITABLE.values()}


class TokenError(ValueError):
    """A token could not be created or revoked as asked."""


@dataclass(frozen=True)
class Identity:
    """Who a request was authenticated as."""

    token_id: int
    name: str
    scopes: frozenset[str]
    organization_id: str | None

    @property
    def admin(self) -> bool:
        return "admin" in self.scopes

    def may_write(self, kind: str) -> bool:
        return self.admin or SCOPE_OF_KIND.get(kind) in self.scopes


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def public_id_of(token: str) -> str | None:
    """The public id inside a well-formed token (16 hex digits), else None. Unverified: the
    rate limiter keys writes by it too."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not PUBLIC_ID.fullmatch(parts[1]) or not parts[2]:
        return None
    return parts[1]


def create_token(
    session: Session, name: str, scopes: list[str], organization_id: str | None = None
) -> str:
    """Store a new token and return it; this is the only time it is ever seen."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"unknown or missing scopes {unknown}; choose from {sorted(SCOPES)}")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named '{name}' already exists")
    if organization_id is not None and "admin" in scopes:
        raise TokenError(
            "an `admin` token writes every organization's records, so it cannot be limited "
            "to one: leave out --organization, or give the write:... scopes instead of admin"
        )
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise TokenError(f"no organization with id '{organization_id}'")
    public_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            public_id=public_id,
            secret_hash=_hash(secret),
            name=name,
            scopes=sorted(set(scopes)),
            organization_id=organization_id,
            created_at=utcnow(),
        )
    )
    session.flush()
    return f"{PREFIX}_{public_id}_{secret}"


def revoke_token(session: Session, name: str) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise TokenError(f"no token named '{name}'")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def authenticate(session: AnySession, token: str) -> Identity | None:
    """The identity of a valid, unrevoked token, else None."""
    public_id = public_id_of(token)
    if public_id is None:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.public_id == public_id))
    secret = token.split("_", 2)[2]
    # Compared whether or not the row exists, so timing tells nothing about which ids exist.
    expected = row.secret_hash if row is not None else _hash(secrets.token_urlsafe(32))
    if not hmac.compare_digest(expected, _hash(secret)) or row is None or row.revoked_at:
        return None
    return Identity(row.id, row.name, frozenset(row.scopes), row.organization_id)
