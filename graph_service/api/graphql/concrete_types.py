"""Which object type a node is, from its labels: what a superclass query needs to answer with
subclass instances (``equipmentList`` → ``WorkCenter``, ``WorkUnit``, ``Area``, ``OtherEquipment``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graph_service.api.graphql import naming
from graph_service.api.graphql.cypher_builder import LABELS
from graph_service.ontology.model import DomainModel

TypeResolver = Callable[[Any, Any, Any], str | None]


def object_type_name(model: DomainModel, class_name: str) -> str | None:
    """The object type of direct instances of a class; None for abstract classes."""
    cls = model.cls(class_name)
    if cls.abstract:
        return None
    if model.subclasses(class_name):
        return naming.other_type(cls.graphql_name)
    return cls.graphql_name


class ConcreteTypes:
    """Picks the most specific class among a node's labels, below a given class."""

    def __init__(self, model: DomainModel) -> None:
        self._model = model
        self._depth = {name: len(cls.ancestors) for name, cls in model.classes.items()}
        self._label_class = {cls.neo4j_label: name for name, cls in model.classes.items()}

    def resolver(self, class_name: str) -> TypeResolver:
        """A ``resolve_type`` for the interface of ``class_name`` (reads the node's labels)."""
        allowed = {
            name: type_name
            for name in (class_name, *self._model.subclasses(class_name))
            if (type_name := object_type_name(self._model, name)) is not None
        }
        cache: dict[tuple[str, ...], str | None] = {}

        def resolve_type(obj: Any, _info: Any, _abstract: Any) -> str | None:
            labels = tuple(obj[LABELS])
            if labels not in cache:
                cache[labels] = self._pick(labels, allowed)
            return cache[labels]

        return resolve_type

    def _pick(self, labels: Sequence[str], allowed: dict[str, str]) -> str | None:
        classes = [self._label_class[label] for label in labels if self._label_class.get(label) in allowed]
        if not classes:
            return None
        deepest = max(classes, key=lambda name: (self._depth[name], name))
        return allowed[deepest]


def always(_obj: Any, _info: Any) -> bool:
    """``is_type_of`` of generated object types: the interface's resolver has already decided."""
    return True
