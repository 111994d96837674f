"""Test helper: an operational CloudEvent with an id derived from its content, so a test can
compute the ids of the derived events that name it."""

from __future__ import annotations

import uuid
from typing import Any


def cloud_event(source: str, type_: str, time: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """The envelope of ``data``; the id is a UUID 5 of type, subject and time (stable across runs)."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{type_}/{subject}/{time}")),
        "source": source,
        "type": type_,
        "time": time,
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }
