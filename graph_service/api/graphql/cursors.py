"""Opaque page cursors: the row's offset in its ordered list, base64-encoded."""

from __future__ import annotations

import base64
import binascii

from graph_service.api.graphql.errors import bad_input

_PREFIX = "offset:"


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode(cursor: str) -> int:
    """The offset of ``cursor``; a GraphQL error when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        raise bad_input(f"`after` is not a cursor of this API: {cursor[:40]!r}") from None
    number = text[len(_PREFIX) :]
    if not text.startswith(_PREFIX) or not number.isdigit() or len(number) > 12:
        raise bad_input(f"`after` is not a cursor of this API: {cursor[:40]!r}")
    return int(number)
