"""What a compiled shape is, what a check returns, and how a shape runs on one focus node."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import SH, URIRef
from rdflib.term import Identifier

if TYPE_CHECKING:
    from loaders.shacl.paths import Path
    from loaders.shacl.views import View


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result (top level; nested results of sh:node stay inside it)."""

    focus: str
    path: str | None
    component: str  # local name, e.g. "MinCountConstraintComponent"
    message: str
    value: str | None = None
    severity: str = "Violation"  # local name of sh:resultSeverity
    shape: str = ""  # the source shape, shortened
    # The RDF terms, for comparing with a pyshacl report (computed only when a result exists).
    focus_node: Identifier | None = field(default=None, compare=False)
    value_node: Identifier | None = field(default=None, compare=False)
    path_key: Any = field(default=None, compare=False)
    source_shape: Identifier | None = field(default=None, compare=False)

    def verdict(self) -> tuple[str, str | None, str]:
        return (self.focus, self.path, self.component)

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.component} on {self.focus}{where}: {self.message}"


#: A compiled constraint: (view, shape, focus node, value nodes) → results.
Check = Callable[["View", "Shape", Any, list[Any]], Iterable[Violation]]


@dataclass(frozen=True)
class Targets:
    nodes: tuple[Identifier, ...] = ()
    classes: tuple[Identifier, ...] = ()  # sh:targetClass and the implicit class target
    subjects_of: tuple[URIRef, ...] = ()
    objects_of: tuple[URIRef, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.nodes or self.classes or self.subjects_of or self.objects_of)

    def focus_nodes(self, view: View) -> list[Any]:
        """The focus nodes in ``view``, each once (pyshacl keeps them in a set)."""
        found: dict[Any, Any] = {}
        for term in self.nodes:  # a target node need not occur in the data
            node = view.node(term)
            found.setdefault(view.ops.key(node), node)
        for cls in self.classes:
            for node in view.instances(cls):
                found.setdefault(view.ops.key(node), node)
        for pred in self.subjects_of:
            for node in view.subjects_of(pred):
                found.setdefault(view.ops.key(node), node)
        for pred in self.objects_of:
            for node in view.objects_of(pred):
                found.setdefault(view.ops.key(node), node)
        return list(found.values())


@dataclass(eq=False)
class Shape:
    """A node or property shape, compiled. Constraints are filled in after creation (recursion)."""

    node: Identifier
    name: str
    path: Path | None = None
    severity: URIRef = SH.Violation
    deactivated: bool = False
    message: str | None = None
    targets: Targets = field(default_factory=Targets)
    checks: list[Check] = field(default_factory=list)

    def validate(self, view: View, focus: Any) -> list[Violation]:
        """All results of ``focus`` against this shape (empty: it conforms)."""
        if self.deactivated:
            return []
        path = self.path
        if path is None:
            values = [focus]
        elif path.predicate is not None:
            values = view.step(focus, path.predicate, path.member)
        else:
            values = path.walk(view, focus)
        found: list[Violation] = []
        for check in self.checks:
            found.extend(check(view, self, focus, values))
        return found

    def conforms(self, view: View, focus: Any) -> bool:
        if self.deactivated:
            return True
        values = self.path.values(view, focus) if self.path is not None else [focus]
        return not any(next(iter(check(view, self, focus, values)), None) for check in self.checks)

    def result(
        self,
        view: View,
        focus: Any,
        component: str,
        default_message: str,
        value: Any = None,
        *,
        path: Any = None,
        has_value: bool = True,
    ) -> Violation:
        """A result of this shape; ``path`` overrides the shape's own (sh:closed reports the property)."""
        ops = view.ops
        if path is not None:
            path_text, path_key = str(path), str(path)
        elif self.path is not None:
            path_text, path_key = self.path.text, self.path.key
        else:
            path_text, path_key = None, None
        return Violation(
            focus=ops.text(focus),
            path=path_text,
            component=component,
            message=self.message or default_message,
            value=ops.display(value) if has_value and value is not None else None,
            severity=str(self.severity).removeprefix(str(SH)),
            shape=self.name,
            focus_node=ops.term(focus),
            value_node=ops.term(value) if has_value and value is not None else None,
            path_key=path_key,
            source_shape=self.node,
        )


@dataclass
class Program:
    """Every compiled shape of a shapes graph, and those that select their own focus nodes."""

    shapes: dict[Identifier, Shape]
    targeted: list[Shape]

    def validate(self, view: View) -> list[Violation]:
        found: list[Violation] = []
        for shape in self.targeted:
            if shape.deactivated:
                continue
            for focus in shape.targets.focus_nodes(view):
                found.extend(shape.validate(view, focus))
        return found
