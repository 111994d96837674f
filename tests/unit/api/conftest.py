"""The compiled model of the repository's ontology, shared by the API unit tests."""

from __future__ import annotations
