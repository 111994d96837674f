"""The explorer takes what the ontology says from the compiled model: context names, the event
root, the lineage relationship types it leaves out of the business graph."""

from __future__ import annotations

import pytest

from graph_service.api.explore import Explorer
from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from graph_service.store.lineage import lineage_types
from tests.support.paths import ONTOLOGY_DIR


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return Explorer(load_model(ONTOLOGY_DIR), None)  # type: ignore[arg-type]  # no query runs


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_legend_names_each_context_as_the_ontology_does(explorer: Explorer, lang: str) -> None:
    modules = {m.name: m for m in explorer.model.modules}
    legend = {c.context: c.label for c in explorer.legend(lang)}
    assert legend == {name: modules[name].context_label(lang) for name in legend}
    assert set(legend) == set(explorer.model.bounded_contexts())


def test_lineage_relationships_are_not_walked_and_business_ones_are(explorer: Explorer) -> None:
    model: DomainModel = explorer.model
    walked = set(explorer.traversable.replace("`", "").split("|"))
    lineage = lineage_types(model)
    assert lineage and not lineage & walked
    assert walked == {r.rel_type for r in model.relations.values() if r.stored} - lineage
