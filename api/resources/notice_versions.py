"""`/v1/notice-versions`: the dated versions of a published notice, and what changed between
two of them."""

from typing import Any

from sqlalchemy import select
from werkzeug.wrappers import Response

from api.store.collections import collection
from api.store.db import db
from api.store.models import NoticeVersion, StatusNotice
from api.store.queries import filter_common
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import Blueprint, get_or_404, published_or_404
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.common import ItemArgsSchema
from schemas.notice_versions import (
    CompareArgsSchema,
    NoticeVersionPageSchema,
    NoticeVersionQueryArgsSchema,
    NoticeVersionSchema,
    VersionComparisonSchema,
)

blp = Blueprint(
    "notice-versions",
    __name__,
    url_prefix="/v1/notice-versions",
    description="Notice versions: each dated publication of a whole notice (its heading and text "
    "as published, its date or the bounds the sources give, the version it replaced, its "
    "statements), and what changed from one version to another.",
)

VERSION_OPTIONS = collection("notice-versions").loads
# The fields of a statement compared between versions: what it says, not where it sits.
COMPARED = (
    "state",
    "unit_ids",
    "service_ids",
    "open_to_public",
    "open_to_current_clients",
    "new_clients_admitted",
    "delivery_mode",
    "valid_from",
    "valid_until",
    "text",
)


@blp.route("")
@blp.arguments(NoticeVersionQueryArgsSchema, location="query")
@blp.response(200, NoticeVersionPageSchema)
@blp.errors(400)
@blp.doc(operationId="listNoticeVersions")
def list_notice_versions(args: dict) -> dict[str, Any]:
    """List notice versions

    Ordered by id: every version of every notice, with when it was published (or the bounds
    the sources give where they do not date it), when it was in force, the version it replaced
    and its statements.
    """
    statement = filter_common(select(NoticeVersion), NoticeVersion, args)
    return paginate(statement, (NoticeVersion.id,), args)


@blp.route("/<version_id>")
@versioned_by_record(NoticeVersion, "version_id")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, NoticeVersionSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getNoticeVersion")
def get_notice_version(args: dict, version_id: str) -> Stored | Response:
    """Get one notice version

    The version with its heading and text as published, its dates and its statements.
    """
    if args.get("as_of"):
        return record_as_of("notice-versions", version_id, args)
    return published_or_404(NoticeVersion, version_id)


@blp.route("/<version_id>/changes")
@blp.arguments(CompareArgsSchema, location="query")
@blp.response(200, VersionComparisonSchema)
@blp.errors(400, 404)
@blp.doc(operationId="compareNoticeVersions")
def compare_notice_versions(args: dict, version_id: str) -> dict:
    """What changed in a version

    Compared with `since_version` (default: the version it replaced; for the first version,
    nothing, so every statement is added): the statements it added, the ones it dropped, and
    each statement it revised with every field that differs (`before`, `after`). A later
    statement revises an earlier one through `supersedes_id`, followed over any number of
    versions. Compared with itself, every statement is unchanged.
    """
    version = get_or_404(NoticeVersion, version_id, VERSION_OPTIONS)
    since_id = args.get("since_version") or version.replaces_id
    since = get_or_404(NoticeVersion, since_id, VERSION_OPTIONS) if since_id else None
    return compare(since, version)


def compare(earlier: NoticeVersion | None, later: NoticeVersion) -> dict:
    """What changed from `earlier` (None: from nothing) to `later`."""
    kind = collection("status-notices")
    before = {s.id: s for s in earlier.statements} if earlier is not None else {}
    if earlier is later:
        return {
            "since_version": later.id,
            "version": later.id,
            "added": [],
            "removed": [],
            "changed": [],
            "unchanged_ids": [s.id for s in later.statements],
        }
    supersedes = dict(db.session.execute(select(StatusNotice.id, StatusNotice.supersedes_id)).all())

    def revised(statement_id: str) -> str | None:
        """The statement of `earlier` that a later statement revises, through any versions."""
        seen, node = set(), supersedes.get(statement_id)
        while node is not None and node not in seen:
            if node in before:
                return node
            seen.add(node)
            node = supersedes.get(node)
        return None

    added, changed, unchanged, matched = [], [], [], set()
    for statement in later.statements:
        previous_id = revised(statement.id)
        if previous_id is None:
            added.append(statement)
            continue
        matched.add(previous_id)
        old, new = kind.dump(before[previous_id]), kind.dump(statement)
        differences = [
            {"field": name, "before": old[name], "after": new[name]}
            for name in COMPARED
            if old[name] != new[name]
        ]
        if differences:
            changed.append(
                {"before_id": previous_id, "after_id": statement.id, "fields_changed": differences}
            )
        else:
            unchanged.append(statement.id)
    return {
        "since_version": earlier.id if earlier is not None else None,
        "version": later.id,
        "added": added,
        "removed": [s for s_id, s in sorted(before.items()) if s_id not in matched],
        "changed": changed,
        "unchanged_ids": unchanged,
    }


register_editing(blp, collection("notice-versions"))
