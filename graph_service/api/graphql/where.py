"""``where`` and ``orderBy`` argument values (coerced by GraphQL) turned into plan nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph_service.api.graphql.errors import bad_input
from graph_service.api.graphql.fields import ClassFields
from graph_service.api.graphql.plan import (
    COMPARISONS,
    AllOf,
    AnyOf,
    Compare,
    Filter,
    Hop,
    Negate,
    RelationMatch,
    SortKey,
)

#: ``where`` nesting (AND/OR/NOT and relation filters) deeper than this is refused.
MAX_FILTER_DEPTH = 16


class FilterReader:
    """Reads ``where`` inputs of any class, by the fields of that class."""

    def __init__(self, fields: Mapping[str, ClassFields]) -> None:
        self._fields = fields

    def where(self, class_name: str, value: Mapping[str, Any] | None, depth: int = 0) -> Filter | None:
        """The filter of one ``<Class>Where`` value; None when it sets no condition."""
        if value is None:
            return None
        if depth > MAX_FILTER_DEPTH:
            raise bad_input(f"`where` is nested more than {MAX_FILTER_DEPTH} levels deep")
        fields = self._fields[class_name]
        parts: list[Filter] = []
        for name, given in value.items():
            if given is None:
                continue
            if name in ("AND", "OR"):
                subs = [self.where(class_name, item, depth + 1) for item in given]
                kept = tuple(s for s in subs if s is not None)
                if name == "AND":
                    parts.extend(kept)
                else:
                    # an empty member of OR holds for every node
                    parts.append(AnyOf(kept) if len(kept) == len(subs) else AllOf(()))
            elif name == "NOT":
                sub = self.where(class_name, given, depth + 1)
                parts.append(Negate(sub if sub is not None else AllOf(())))
            elif name in fields.properties:
                parts.extend(self._comparisons(fields.properties[name].name, given))
            elif name in fields.relations:
                parts.extend(self._relation(fields, name, given, depth))
            else:  # GraphQL validation makes this unreachable; never let an unknown name through
                raise bad_input(f"{class_name} has no field {name!r} to filter on")
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    @staticmethod
    def _comparisons(prop: str, given: Mapping[str, Any]) -> list[Filter]:
        found: list[Filter] = []
        for op, operand in given.items():
            if operand is None:
                continue
            if op not in COMPARISONS:
                raise bad_input(f"unknown comparison {op!r} on {prop}")
            if op in ("in", "notIn"):
                operand = tuple(operand)
            found.append(Compare(prop, op, operand))
        return found

    def _relation(self, fields: ClassFields, name: str, given: Mapping[str, Any], depth: int) -> list[Filter]:
        rel = fields.relations[name]
        hop = Hop(rel.rel_type, rel.direction)
        found: list[Filter] = []
        for quantifier in ("some", "none", "every"):
            if quantifier in given and given[quantifier] is not None:
                inner = self.where(rel.target, given[quantifier], depth + 1)
                found.append(RelationMatch(hop, quantifier, inner))  # type: ignore[arg-type]
        return found


def sort_keys(fields: ClassFields, order_by: list[Mapping[str, Any]] | None) -> tuple[SortKey, ...]:
    """The requested sort keys, then the business key (or the element id) as tie-breakers."""
    keys: list[SortKey] = []
    for item in order_by or ():
        name = getattr(item["field"], "value", item["field"])
        direction = getattr(item.get("direction"), "value", item.get("direction")) or "ASC"
        prop = fields.properties.get(name)
        if prop is None or prop.is_list:
            raise bad_input(f"{fields.cls.graphql_name} cannot be ordered by {name!r}")
        keys.append(SortKey(prop.name, direction == "DESC"))
    chosen = {k.prop for k in keys}
    tie_breakers = [SortKey(p.name) for p in fields.key_fields if p.name not in chosen]
    return (*keys, *tie_breakers) if fields.key_fields else (*keys, SortKey(None))
