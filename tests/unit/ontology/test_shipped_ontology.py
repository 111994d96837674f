"""The ontology shipped in ontology/ compiles and checks without errors."""

from __future__ import annotations

import pytest

from graph_service.ontology import compile_ontology

from .conftest import SHIPPED_ONTOLOGY, check_dir, requires_java

pytestmark = pytest.mark.skipif(
    not any(SHIPPED_ONTOLOGY.glob("*.ttl")), reason="no ontology/*.ttl in this checkout"
)


def test_the_shipped_ontology_compiles_without_errors() -> None:
    result = compile_ontology(SHIPPED_ONTOLOGY)
    assert result.errors == (), "\n".join(map(str, result.errors))
    assert result.model is not None
    assert result.model.classes and result.model.relations


@requires_java
def test_check_on_the_shipped_ontology_finds_no_errors() -> None:
    report = check_dir(SHIPPED_ONTOLOGY, reason=True)
    assert report.errors == (), "\n".join(map(str, report.errors))


def test_every_entity_class_of_the_shipped_ontology_has_a_key() -> None:
    model = compile_ontology(SHIPPED_ONTOLOGY).model
    assert model is not None
    assert [c.name for c in model.entity_classes() if not c.key] == []
    assert [c.name for c in model.event_classes() if "eventId" not in c.key] == []
