"""What changed between two DomainModels, and whether each change breaks existing users.

Breaking: something existing clients, loaders or stored data rely on goes away or changes meaning
(removed terms, changed types/ranges/keys, narrowed cardinality, moved domains, a class becoming
abstract, personal data no longer marked). Compatible: additions, wording, widened cardinality,
a property moved up to a superclass.

Declared users of the ontology are covered too: a stream (``streams/<name>/v<major>/stream.yaml``,
described to this module as a :class:`StreamUse`) breaks when the event class of one of its input
types disappears or stops being an event, or when its key property disappears or stops being an
``owl:hasKey`` property; the change names the stream and its descriptor file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from graph_service.ontology.model import AnyTerm, DatatypeProperty, DomainModel

Impact = Literal["breaking", "compatible"]
TermKind = Literal["class", "datatype property", "relation", "stream"]
ChangeKind = Literal["added", "removed", "changed"]
BREAKING: Impact = "breaking"
COMPATIBLE: Impact = "compatible"


@dataclass(frozen=True, kw_only=True)
class Change:
    """One difference. ``aspect`` (e.g. ``"key"``) with ``old``/``new`` values for changes."""

    term_kind: TermKind
    name: str
    change: ChangeKind
    impact: Impact
    reason: str
    aspect: str | None = None
    old: str | None = None
    new: str | None = None
    label_en: str = ""
    label_de: str = ""
    hint: str = ""  # e.g. a probable rename of a removed term
    file: str = ""  # the declaration affected (a stream's descriptor)

    @property
    def breaking(self) -> bool:
        return self.impact == BREAKING

    def as_dict(self) -> dict[str, str | None]:
        return {
            "term_kind": self.term_kind,
            "name": self.name,
            "change": self.change,
            "impact": self.impact,
            "aspect": self.aspect,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
            "label_en": self.label_en,
            "label_de": self.label_de,
            "hint": self.hint or None,
            **({"file": self.file} if self.file else {}),
        }


@dataclass(frozen=True)
class ModelDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def compatible(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.breaking)

    @property
    def is_breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def as_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "breaking": self.is_breaking,
            "summary": {"breaking": len(self.breaking), "compatible": len(self.compatible)},
            "changes": [c.as_dict() for c in self.changes],
        }


# An aspect: how to show it, and how to judge a change of it (old, new, models) → impact, reason.
Judge = Callable[[Any, Any, DomainModel, DomainModel], tuple[Impact, str]]


@dataclass(frozen=True)
class _Aspect:
    name: str
    read: Callable[[Any], Any]
    judge: Judge


@dataclass(frozen=True)
class StreamUse:
    """What one stream relies on: its key property and, per input type, the event class the
    mappings map it to (None: no mapping maps it)."""

    name: str  # "equipmentOee v1"
    file: str
    key: str
    inputs: tuple[tuple[str, str | None], ...]


def diff_models(old: DomainModel, new: DomainModel, streams: Sequence[StreamUse] = ()) -> ModelDiff:
    """Every added, removed and changed class, datatype property and relation, sorted; then what
    the change breaks in ``streams``."""
    changes = [
        *_diff_table("class", old.classes, new.classes, _CLASS_ASPECTS, old, new),
        *_diff_table(
            "datatype property",
            old.datatype_properties,
            new.datatype_properties,
            _PROPERTY_ASPECTS,
            old,
            new,
        ),
        *_diff_table("relation", old.relations, new.relations, _RELATION_ASPECTS, old, new),
        *(change for use in streams for change in _stream_changes(use, old, new)),
    ]
    order = {"class": 0, "datatype property": 1, "relation": 2, "stream": 3}
    changes.sort(key=lambda c: (order[c.term_kind], c.name, c.change, c.aspect or ""))
    return ModelDiff(old.version, new.version, tuple(changes))


def _diff_table(
    kind: TermKind,
    old_terms: Mapping[str, AnyTerm],
    new_terms: Mapping[str, AnyTerm],
    aspects: tuple[_Aspect, ...],
    old: DomainModel,
    new: DomainModel,
) -> Iterator[Change]:
    removed = sorted(set(old_terms) - set(new_terms))
    added = sorted(set(new_terms) - set(old_terms))
    for name in removed:
        term = old_terms[name]
        hint = _renamed_hint(term, [new_terms[a] for a in added])
        yield _change(kind, term, "removed", BREAKING, f"{_users(kind)} using it break", hint=hint)
    for name in added:
        yield _change(kind, new_terms[name], "added", COMPATIBLE, "new; nothing existing changes")
    for name in sorted(set(old_terms) & set(new_terms)):
        before, after = old_terms[name], new_terms[name]
        for aspect in aspects:
            was, now = aspect.read(before), aspect.read(after)
            if was != now:
                impact, reason = aspect.judge(was, now, old, new)
                yield _change(
                    kind,
                    after,
                    "changed",
                    impact,
                    reason,
                    aspect=aspect.name,
                    old=_show(was),
                    new=_show(now),
                )


def _stream_changes(use: StreamUse, old: DomainModel, new: DomainModel) -> Iterator[Change]:
    def broken(aspect: str, was: str, now: str, reason: str) -> Change:
        return Change(
            term_kind="stream",
            name=use.name,
            change="changed",
            impact=BREAKING,
            aspect=aspect,
            old=was,
            new=now,
            reason=f"{reason}; stream {use.name} ({use.file}) breaks",
            file=use.file,
        )

    for event_type, event_class in use.inputs:
        was = old.classes.get(event_class) if event_class else None
        if was is None or not was.is_event:
            continue  # not an input the old ontology gave it: nothing changed for the stream
        now = new.classes.get(event_class or "")
        if now is None:
            yield broken(
                "input", f"{event_type} (ds:{event_class})", "(none)", f"ds:{event_class} is removed"
            )
        elif not now.is_event:
            yield broken(
                "input",
                f"{event_type} (ds:{event_class})",
                f"ds:{event_class} (not an event)",
                f"ds:{event_class} is no longer an event class",
            )
    was_key, now_key = _is_key(old, use.key), _is_key(new, use.key)
    if was_key and not now_key:
        gone = use.key not in new.datatype_properties
        yield broken(
            "key",
            f"ds:{use.key} (owl:hasKey)",
            "(none)" if gone else f"ds:{use.key} (not a key)",
            f"ds:{use.key} is removed" if gone else f"ds:{use.key} is no longer an owl:hasKey property",
        )


def _is_key(model: DomainModel, prop: str) -> bool:
    return any(prop in cls.key for cls in model.keyed_classes())


def _change(
    kind: TermKind, term: AnyTerm, change: ChangeKind, impact: Impact, reason: str, **details: Any
) -> Change:
    return Change(
        term_kind=kind,
        name=term.name,
        change=change,
        impact=impact,
        reason=reason,
        label_en=term.labels.get("en", ""),
        label_de=term.labels.get("de", ""),
        **details,
    )


def _users(kind: TermKind) -> str:
    if kind == "class":
        return "loaders, stored nodes, queries and GraphQL clients"
    return "loaders, stored data, queries and GraphQL clients"


def _renamed_hint(term: AnyTerm, added: list[AnyTerm]) -> str:
    label = term.labels.get("en")
    same = [a.name for a in added if label and a.labels.get("en") == label]
    return f"renamed to {same[0]}?" if same else ""


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{k or '-'}: {_show(v)}" for k, v in sorted(value.items())) or "(none)"
    if isinstance(value, tuple | frozenset | set):
        items = sorted(value) if not isinstance(value, tuple) else value
        return ", ".join(_show(v) for v in items) or "(none)"
    return "(none)" if value is None else str(value)


# -- judges -------------------------------------------------------------------------------------


def _wording(*_: Any) -> tuple[Impact, str]:
    return COMPATIBLE, "wording only; names, types and data stay the same"


def _always_breaking(reason: str) -> Judge:
    return lambda *_: (BREAKING, reason)


def _key(*_: Any) -> tuple[Impact, str]:
    return BREAKING, "the business key decides identity (MERGE key, uniqueness constraint)"


def _cardinality(was: Any, now: Any, *_: Any) -> tuple[Impact, str]:
    if now == "many":
        return COMPATIBLE, "widened to many values; existing data stays valid"
    return BREAKING, "narrowed to one value; data with several values no longer fits"


def _personal_data(was: Any, now: Any, *_: Any) -> tuple[Impact, str]:
    if now:
        return COMPATIBLE, "now personal data: masked for roles without personal-data access"
    return BREAKING, "no longer masked as personal data; needs a privacy review before rollout"


def _abstract(was: Any, now: Any, *_: Any) -> tuple[Impact, str]:
    if now:
        return BREAKING, "abstract classes are never written; loaders writing it break"
    return COMPATIBLE, "may now be written directly"


def _ancestors(was: Any, now: Any, *_: Any) -> tuple[Impact, str]:
    lost = set(was) - set(now)
    if lost:
        gone = ", ".join(sorted(lost))
        return BREAKING, f"no longer a {gone}: loses those labels and inherited fields"
    return COMPATIBLE, "gains superclasses; keeps every label and field it had"


def _domain(was: Any, now: Any, old: DomainModel, new: DomainModel) -> tuple[Impact, str]:
    widened = was in new.classes and now in new.cls(was).ancestors
    if widened:
        return COMPATIBLE, f"moved up to the superclass {now}; still available on {was}"
    return BREAKING, f"no longer available on {was}"


_TEXT_ASPECTS = (
    _Aspect("labels", lambda t: t.labels, _wording),
    _Aspect("definitions", lambda t: t.definitions, _wording),
    _Aspect("bounded context", lambda t: t.bounded_context, _wording),
    _Aspect("alignments", lambda t: frozenset(f"{p} {i}" for p, i in t.alignments), _wording),
)

_CLASS_ASPECTS: tuple[_Aspect, ...] = (
    *_TEXT_ASPECTS,
    _Aspect("alternative labels", lambda c: c.alt_labels, _wording),
    _Aspect("superclasses", lambda c: c.ancestors, _ancestors),
    _Aspect("key", lambda c: c.key, _key),
    _Aspect("abstract", lambda c: c.abstract, _abstract),
    _Aspect("affects", lambda c: c.affects, _wording),
    _Aspect("emitted by", lambda c: c.emitted_by, _wording),
)


def _facet_view(prop: DatatypeProperty) -> Mapping[str, Any]:
    """The facets a property sets (ds:allowedValue, ds:pattern, bounds, lengths), by name."""
    facets = prop.facets
    view: dict[str, Any] = dict(facets.bounds()) | dict(facets.lengths())
    if facets.allowed:
        view["allowed values"] = facets.allowed
    if facets.pattern is not None:
        view["pattern"] = facets.pattern
    return view


def _facets(was: Mapping[str, Any], now: Mapping[str, Any], *_: Any) -> tuple[Impact, str]:
    """Widening is compatible (values dropped from nothing, facets only removed); anything else
    may refuse what senders send and what the graph holds."""
    old_values, new_values = set(was.get("allowed values", ())), set(now.get("allowed values", ()))
    values_kept = not new_values or (bool(old_values) and old_values <= new_values)
    others = {k: v for k, v in now.items() if k != "allowed values"}
    only_removed = all(was.get(k) == v for k, v in others.items())
    if values_kept and only_removed:
        return COMPATIBLE, "the contracts accept more values; everything accepted before still is"
    return BREAKING, (
        "the event contracts may now refuse values they accepted (and the graph may hold such "
        "values): check the senders and the stored data"
    )


_PROPERTY_ASPECTS: tuple[_Aspect, ...] = (
    *_TEXT_ASPECTS,
    _Aspect("domain", lambda p: p.domain, _domain),
    _Aspect("type", lambda p: p.xsd, _always_breaking("stored values and GraphQL type change")),
    _Aspect("cardinality", lambda p: "one" if p.functional else "many", _cardinality),
    _Aspect("personal data", lambda p: p.personal_data, _personal_data),
    _Aspect("value facets", _facet_view, _facets),
)

_RELATION_ASPECTS: tuple[_Aspect, ...] = (
    *_TEXT_ASPECTS,
    _Aspect("domain", lambda r: r.domain, _domain),
    _Aspect("range", lambda r: r.range, _always_breaking("relation now points at another class")),
    _Aspect("cardinality", lambda r: "many" if r.to_many else "one", _cardinality),
    _Aspect(
        "reverse of",
        lambda r: r.inverse_of,
        _always_breaking("reads another stored relation (or becomes stored itself)"),
    ),
)
