"""Schemas and fields shared by the API blueprints (marshmallow 4: unknown fields are rejected)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from service import clock

# Text the databases cannot store or compare: NUL (PostgreSQL refuses it in text and in parameters) and
# unpaired surrogates (JSON's "\udc00" escapes decode to them; they cannot be encoded as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired surrogates"


def unstorable(value: str) -> bool:
    return _UNSTORABLE.search(value) is not None


class Text(fields.String):
    """A string the database can store and compare."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if unstorable(text):
            raise ValidationError(UNSTORABLE_MESSAGE)
        return text


class JSONBoolean(fields.Boolean):
    """A boolean of a JSON body: true or false only (marshmallow also takes 0, 1, "yes", "on"…, which the
    OpenAPI document's `boolean` does not)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class JSONObject(fields.Dict):
    """A JSON object of process data: string keys, any JSON values, every string storable."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        bad = _first_unstorable(result, "")
        if bad is not None:  # the pointer shows the offending characters as U+FFFD
            raise ValidationError(f"{_UNSTORABLE.sub(chr(0xFFFD), bad) or '/'}: strings {UNSTORABLE_MESSAGE}")
        return result


def _first_unstorable(value: Any, path: str) -> str | None:
    """The JSON pointer (RFC 6901) of the first string, key or value, that cannot be stored, or None."""
    if isinstance(value, str):
        return path if unstorable(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}/{key.replace('~', '~0').replace('/', '~1')}"
            if unstorable(key):
                return where
            found = _first_unstorable(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_unstorable(item, f"{path}/{i}")
            if found is not None:
                return found
    return None


class UTCDateTime(fields.DateTime):
    """Stored naive UTC, shown with its offset."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime):
            value = clock.from_db(value)
        return super()._serialize(value, attr, obj, **kwargs)


class UTCAwareDateTime(fields.AwareDateTime):
    """An input date-time with an offset (UTC when none is given), converted to UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=clock.UTC, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(clock.UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            raise ValidationError("date-time out of range") from None


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item), required=True),
                             "total": fields.Integer(required=True)}, name=name)
