"""``where`` and ``orderBy`` argument values (coerced by GraphQL) turned into plan nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph_service.api.graphql.errors import FORBIDDEN, bad_input, client_error
from graph_service.api.graphql.fields import ClassFields
from graph_service.api.graphql.operators import OPERATORS
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

    def __init__(
        self, fields: Mapping[str, ClassFields], codes: Mapping[tuple[str, str], frozenset[str]] | None = None
    ) -> None:
        self._fields = fields
        # (class, property) → its closed code list (loaders.code_lists): a value outside it is a typo
        self._codes = codes or {}

    def where(
        self, class_name: str, value: Mapping[str, Any] | None, depth: int = 0, *, personal: bool = True
    ) -> Filter | None:
        """The filter of one ``<Class>Where`` value; None when it sets no condition.
        ``personal=False`` refuses conditions on personal-data properties (they would reveal them)."""
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
                subs = [self.where(class_name, item, depth + 1, personal=personal) for item in given]
                kept = tuple(s for s in subs if s is not None)
                if name == "AND":
                    parts.extend(kept)
                else:
                    # an empty member of OR holds for every node
                    parts.append(AnyOf(kept) if len(kept) == len(subs) else AllOf(()))
            elif name == "NOT":
                sub = self.where(class_name, given, depth + 1, personal=personal)
                parts.append(Negate(sub if sub is not None else AllOf(())))
            elif name in fields.properties:
                prop = fields.properties[name]
                if prop.prop.personal_data and not personal:
                    raise _personal_refused(class_name, name, "filter on")
                self._check_codes(class_name, prop.name, given)
                parts.extend(self._comparisons(prop.name, given))
            elif name in fields.relations:
                parts.extend(self._relation(fields, name, given, depth, personal))
            else:  # GraphQL validation makes this unreachable; never let an unknown name through
                raise bad_input(f"{class_name} has no field {name!r} to filter on")
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _check_codes(self, class_name: str, prop: str, given: Mapping[str, Any]) -> None:
        check_codes(self._codes, class_name, prop, given)

    @staticmethod
    def _comparisons(prop: str, given: Mapping[str, Any]) -> list[Filter]:
        found: list[Filter] = []
        for op, operand in given.items():
            if operand is None:
                continue
            if op not in COMPARISONS:
                raise bad_input(f"unknown comparison {op!r} on {prop}")
            if OPERATORS[op].operand == "values":
                operand = tuple(operand)
            found.append(Compare(prop, op, operand))
        return found

    def _relation(
        self, fields: ClassFields, name: str, given: Mapping[str, Any], depth: int, personal: bool
    ) -> list[Filter]:
        rel = fields.relations[name]
        hop = Hop(rel.rel_type, rel.direction)
        found: list[Filter] = []
        for quantifier in ("some", "none", "every"):
            if quantifier in given and given[quantifier] is not None:
                inner = self.where(rel.target, given[quantifier], depth + 1, personal=personal)
                found.append(RelationMatch(hop, quantifier, inner))
        return found


def sort_keys(
    fields: ClassFields, order_by: list[Mapping[str, Any]] | None, *, personal: bool = True
) -> tuple[SortKey, ...]:
    """The requested sort keys, then the business key (or the element id) as tie-breakers."""
    keys: list[SortKey] = []
    for item in order_by or ():
        name = getattr(item["field"], "value", item["field"])
        direction = getattr(item.get("direction"), "value", item.get("direction")) or "ASC"
        prop = fields.properties.get(name)
        if prop is None or prop.is_list:
            raise bad_input(f"{fields.cls.graphql_name} cannot be ordered by {name!r}")
        if prop.prop.personal_data and not personal:
            raise _personal_refused(fields.cls.graphql_name, name, "order by")
        keys.append(SortKey(prop.name, direction == "DESC"))
    chosen = {k.prop for k in keys}
    tie_breakers = [SortKey(p.name) for p in fields.key_fields if p.name not in chosen]
    return (*keys, *tie_breakers) if fields.key_fields else (*keys, SortKey(None))


def check_codes(
    codes: Mapping[tuple[str, str], frozenset[str]], class_name: str, prop: str, given: Mapping[str, Any]
) -> None:
    """Refuse an equality operand that is not one of the property's codes: it could only ever
    answer nothing (eq, in) or everything (ne, notIn), which hides the typo. The one check of
    query filters and subscription filters."""
    allowed = codes.get((class_name, prop))
    if not allowed:
        return
    for op in ("eq", "ne", "in", "notIn"):
        operand = given.get(op)
        values = [operand] if op in ("eq", "ne") else list(operand or ())
        for value in values:
            if isinstance(value, str) and value not in allowed:
                message = _unknown_code(class_name, prop, value, allowed)
                raise bad_input(message, field=f"{class_name}.{prop}", allowed=sorted(allowed))


def _unknown_code(class_name: str, prop: str, value: str, allowed: frozenset[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, sorted(allowed), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{value!r} is not a {class_name}.{prop} code: one of {', '.join(sorted(allowed))}.{hint}"


def _personal_refused(class_name: str, name: str, what: str) -> Exception:
    return client_error(
        f"{class_name}.{name} is personal data: the role `personal-data` is needed to {what} it",
        FORBIDDEN,
        field=f"{class_name}.{name}",
    )
