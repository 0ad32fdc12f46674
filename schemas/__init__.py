"""Marshmallow schemas: one module per resource kind, plus `common` for the shared pieces.

Nothing here imports Flask: the data loader validates `data/` with these same schemas."""
