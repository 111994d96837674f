"""Values from the compiled ontology that a product query may read like parameters.

A product's Cypher cannot read the ontology, yet some products must follow it rather than list
labels by hand: an object-centric process view asks "which classes do events affect?". Such a
query names ``$ontologyObjectTypes`` or ``$ontologyEventTypes``; the registry computes the value
once from the model when it loads the product, and the runner binds it with the parameters. The
names are reserved: no descriptor may declare them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graph_service.ontology.model import ClassDef, DomainModel


def _most_specific_first(classes: list[ClassDef]) -> list[str]:
    """Labels ordered deepest class first (then by name), so ``[l IN list WHERE l IN labels(n)][0]``
    picks the most specific of them that a node carries."""
    return [c.neo4j_label for c in sorted(classes, key=lambda c: (-len(c.ancestors), c.name))]


def object_types(model: DomainModel) -> list[str]:
    """The labels of the entity classes that some concrete event class affects (``ds:affects``)."""
    names = {name for event in model.event_classes() for name in event.affects}
    return _most_specific_first([model.classes[name] for name in sorted(names) if name in model.classes])


def event_types(model: DomainModel) -> list[str]:
    """The labels of the concrete event classes."""
    return _most_specific_first(list(model.event_classes()))


#: Name in the query (``$name``) → how to compute it from the model.
MODEL_VALUES: Mapping[str, Callable[[DomainModel], Any]] = {
    "ontologyObjectTypes": object_types,
    "ontologyEventTypes": event_types,
}


def model_values_for(names: set[str], model: DomainModel) -> dict[str, Any]:
    """The model values among ``names`` (the parameters a query uses), computed from ``model``."""
    return {name: MODEL_VALUES[name](model) for name in sorted(names) if name in MODEL_VALUES}
