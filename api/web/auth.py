"""Who is asking: the editor API's bearer tokens, their scopes, and the organization rule.

401 without a valid token (with `WWW-Authenticate`); 403 for a missing scope, or for a write
that would change a record of other organizations than the token's (api.store.writes.outside).
"""

from __future__ import annotations

from typing import Any, Literal, overload

from flask import request
from sqlalchemy.orm import Session

from api.problems import Problem
from api.store import tokens
from api.store import writes as editing
from api.store.collections import Collection
from api.store.db import db
from api.store.history import Recorder

REALM = 'Bearer realm="social-services-api"'


@overload
def identity(required: Literal[True] = True) -> tokens.Identity: ...
@overload
def identity(required: bool) -> tokens.Identity | None: ...
def identity(required: bool = True) -> tokens.Identity | None:
    """The request's token identity; without a valid one, a 401 (or None if not `required`
    and no Authorization header was sent at all)."""
    header = request.headers.get("Authorization")
    if header is None and not required:
        return None
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "This needs a bearer token: `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": REALM},
        )
    found = tokens.authenticate(db.session, token.strip())
    db.session.rollback()  # end the read transaction before a write begins
    if found is None:
        raise Problem(
            401,
            "The bearer token is not valid (unknown, malformed or revoked).",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    return found


def require_scope(who: tokens.Identity, kind: str) -> None:
    if not who.may_write(kind):
        scope = tokens.SCOPE_OF_KIND[kind]
        raise Problem(
            403,
            f"The token '{who.name}' lacks the scope `{scope}` that writes {kind}.",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )


def require_organization(
    session: Session, who: tokens.Identity, collection: Collection, record: dict[str, Any]
) -> None:
    """The record a request names, before and after the change, is of the token's
    organizations (with `require_reach`, the organization rule)."""
    if who.organization_id is None or who.admin:
        return
    allowed = editing.within(session, who.organization_id)
    owners = editing.organizations_of(session, collection, record)
    if not owners <= allowed:
        raise Problem(
            403,
            f"The token '{who.name}' may only change records of the organization "
            f"'{who.organization_id}' and those below it; {collection.name} '{record['id']}' "
            f"belongs to {', '.join(repr(o) for o in sorted(owners, key=str))}.",
        )


def require_reach(session: Session, who: tokens.Identity, recorder: Recorder) -> None:
    """The organization rule on everything a write changed, derived effects included
    (api.store.writes.outside); checked in the transaction, before the commit."""
    if who.organization_id is None or who.admin:
        return
    beyond = editing.outside(session, who.organization_id, recorder)
    if beyond:
        raise Problem(
            403,
            f"The token '{who.name}' may only change records of the organization "
            f"'{who.organization_id}' and those below it; this write would also change "
            f"{'; '.join(beyond)}.",
        )
