"""The compiled model of the repository's ontology, shared by the API unit tests."""

from __future__ import annotations

import pytest

from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from tests.support.paths import REPO


@pytest.fixture(scope="session")
def model() -> DomainModel:
    return load_model(REPO / "ontology")
