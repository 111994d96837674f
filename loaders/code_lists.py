"""The codes a property of the graph can hold, read from what writes it.

The ontology leaves status-like codes to the class definitions' prose; what is enforced is the
loaders' side: a mapping writes a constant, or a payload field whose shape has an ``sh:in`` list.
When every write of ``Class.property`` is one of those and at least one is a shape's list (a
declared code list, not only the constants one mapping happens to set), its codes are closed and a
query for another value (a typo such as ``BLOKED``) can be refused with the allowed ones instead
of answering nothing. One open write (a free-text field, a template) leaves the property open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import SH

from graph_service.ontology.model import DomainModel
from loaders.mapping import EntitySpec, Mapper, ValueSpec, load_mappings
from loaders.payload_rdf import DS, DSP

#: ``(ontology class, property)`` → the codes every write of it keeps to; None: written openly.
CodeLists = Mapping[tuple[str, str], frozenset[str] | None]


def code_lists(mapper: Mapper, payload_shapes: Graph) -> dict[tuple[str, str], frozenset[str] | None]:
    """The code lists of the properties the mappings write (see the module docstring)."""
    closed: dict[tuple[str, str], set[str]] = {}
    open_: set[tuple[str, str]] = set()
    declared: set[tuple[str, str]] = set()
    for mapping in mapper.by_type.values():
        for entity in mapping.entities:
            for prop, spec in entity.properties:
                key = (entity.class_name, prop)
                codes = _codes(spec, entity, mapping.event_class, payload_shapes)
                if codes is None:
                    open_.add(key)
                else:
                    closed.setdefault(key, set()).update(codes)
                    if spec.path is not None:
                        declared.add(key)
    lists: dict[tuple[str, str], frozenset[str] | None] = {key: None for key in open_}
    lists.update({key: None for key in closed if key not in declared})
    lists.update({key: frozenset(codes) for key, codes in closed.items() if key in declared - open_})
    return dict(sorted(lists.items()))


def codes_for(lists: CodeLists, classes: tuple[str, ...], prop: str) -> frozenset[str] | None:
    """The codes ``prop`` holds on nodes of any of ``classes`` (a class and its subclasses);
    None when one of them writes it openly or none writes it at all."""
    written = [(name, prop) for name in classes if (name, prop) in lists]
    if not written or any(lists[key] is None for key in written):
        return None
    return frozenset().union(*(lists[key] or () for key in written))


def _codes(spec: ValueSpec, entity: EntitySpec, event_class: str, shapes: Graph) -> frozenset[str] | None:
    if spec.template is not None:
        return None
    if spec.path is None:
        return frozenset({spec.const}) if isinstance(spec.const, str) else None
    if len(spec.path) != 1 or (entity.each is not None and not spec.from_root):
        return None  # a nested or per-element field: its shape is not the event's own
    return _sh_in(shapes, event_class, spec.path[0])


def _sh_in(shapes: Graph, event_class: str, field: str) -> frozenset[str] | None:
    """The values of ``field`` every ``sh:in`` on it in the payload shapes of ``event_class``
    allows (a field may have several property shapes: generated ones and hand-written additions)."""
    lists: list[frozenset[str]] = []
    for shape in shapes.subjects(SH.targetClass, DS[event_class]):
        for prop in shapes.objects(shape, SH.property):
            if shapes.value(prop, SH.path) != DSP[field]:
                continue
            head = shapes.value(prop, SH["in"])
            if head is None:
                continue
            values = list(Collection(shapes, head))
            if all(isinstance(v, Literal) for v in values):
                lists.append(frozenset(str(v) for v in values))
    return frozenset.intersection(*lists) if lists else None


def by_queried_class(model: DomainModel, lists: CodeLists) -> dict[tuple[str, str], frozenset[str]]:
    """Per class and property, the codes a query on that class can meet: its own and its
    subclasses' writes (a query on a superclass reaches their nodes too); closed lists only."""
    props = sorted({prop for _, prop in lists})
    found: dict[tuple[str, str], frozenset[str]] = {}
    for name in sorted(model.classes):
        lineage = (name, *model.subclasses(name))
        for prop in props:
            codes = codes_for(lists, lineage, prop)
            if codes:
                found[(name, prop)] = codes
    return found


def read_code_lists(model: DomainModel, shapes_dir: Path, mappings_dirs: Sequence[Path]) -> CodeLists:
    """The code lists of the mappings in ``mappings_dirs`` and the payload shapes under ``shapes_dir``."""
    from loaders.validation import read_shapes

    shapes, _ = read_shapes(shapes_dir / "events")
    return code_lists(load_mappings(mappings_dirs, model), shapes)
