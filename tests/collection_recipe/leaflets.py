"""The new collection's model, schemas, resource and declaration, as docs/architecture.md's
recipe "To add a collection" says; `scenario.py` runs it. (A deployment would put the model in
api/store/models.py with a migration, the schemas in schemas/, the resource in api/resources/
and the declaration in api/store/collections.py's tuple.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, select
from sqlalchemy.orm import Mapped, mapped_column

from api.store.collections import Collection, declare
from api.store.db import Base
from api.store.models import Record
from schemas.common import (
    Id,
    ItemArgsSchema,
    ListArgsSchema,
    Localized,
    RecordInputSchema,
    RecordSchema,
    page_of,
)


# 1. The model.
class Leaflet(Record, Base):
    __tablename__ = "leaflets"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    title: Mapped[dict[str, str | None]] = mapped_column(JSON)


# 2. The schemas: published, input, and the page.
class LeafletSchema(RecordSchema):
    """A printed leaflet of an organization."""

    organization_id = Id(required=True)
    title = Localized(nullable=False, required=True)


class LeafletInputSchema(RecordInputSchema):
    organization_id = Id(required=True)
    title = Localized(nullable=False, required=True)


LeafletPageSchema = page_of(LeafletSchema)

# 3. The one declaration.
declare(
    Collection(
        "leaflets",
        "leaflet",
        "leaflets",
        "a leaflet",
        "Printed leaflets.",
        Leaflet,
        LeafletSchema,
        LeafletInputSchema,
        "leaflet_id",
        "welcome",
        refs={"organization_id": "organizations"},
        scope="write:notices",
        resource=__name__,
    )
)

# 4. The resource: a list, an item, and the editor API's writes and edit log.
from api.store.collections import collection  # noqa: E402 - after the declaration
from api.web.caching import versioned_by_record  # noqa: E402
from api.web.editor import register_editing  # noqa: E402
from api.web.http import Blueprint, get_or_404  # noqa: E402
from api.web.pagination import paginate  # noqa: E402

blp = Blueprint("leaflets", __name__, url_prefix="/v1/leaflets", description="Leaflets.")


@blp.route("")
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, LeafletPageSchema)
@blp.errors(400)
@blp.doc(operationId="listLeaflets")
def list_leaflets(args: dict[str, Any]) -> dict[str, Any]:
    """List leaflets"""
    return paginate(select(Leaflet), (Leaflet.id,), args)


@blp.route("/<leaflet_id>")
@versioned_by_record(Leaflet, "leaflet_id")  # its ETag is its record's, for If-Match
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, LeafletSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getLeaflet")
def get_leaflet(args: dict[str, Any], leaflet_id: str) -> Leaflet:
    """Get one leaflet"""
    return get_or_404(Leaflet, leaflet_id)


register_editing(blp, collection("leaflets"))
