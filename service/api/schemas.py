"""Schemas shared by the API blueprints (marshmallow 4: unknown fields are rejected)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from service import clock


class UTCDateTime(fields.DateTime):
    """Stored naive UTC, shown with its offset."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime):
            value = clock.from_db(value)
        return super()._serialize(value, attr, obj, **kwargs)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item), required=True),
                             "total": fields.Integer(required=True)}, name=name)
