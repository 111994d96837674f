"""The change log's CloudEvents as what a ``<class>Changed`` subscription delivers (pure).

:class:`ChangeView` is one class's view of the change log: which changes concern it (its own and
its subclasses' entities, and relationships with such an entity at either end), the delivered
dict (values typed by the ontology, personal data masked for callers without ``personal-data``),
and the ``where`` conditions evaluated on a change. Nothing here reads Kafka or strawberry.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph_service.api.graphql.errors import FORBIDDEN, bad_input, client_error
from graph_service.api.graphql.fields import ClassFields, PropertyField
from graph_service.api.graphql.operators import OPERATORS
from graph_service.api.graphql.where import check_codes
from graph_service.ontology.model import DomainModel
from graph_service.security.personal import personal_properties
from loaders.changelog import ENTITY_CHANGED, RELATIONSHIP_CHANGED

#: The change kinds of the change log, as the GraphQL enum names them.
KINDS = {"created": "CREATED", "updated": "UPDATED", "added": "ADDED", "repointed": "REPOINTED"}
_MISSING = object()

Condition = Callable[[Mapping[str, Any]], bool]


def typed(graphql_type: str, value: Any) -> Any:
    """A change-log value (JSON: dates and times as ISO text) as the scalar's Python value."""
    if value is None:
        return None
    if isinstance(value, list):
        return [typed(graphql_type, v) for v in value]
    try:
        if graphql_type == "DateTime" and isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        if graphql_type == "Date" and isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
        if graphql_type == "Decimal" and isinstance(value, int | float | str) and not isinstance(value, bool):
            return decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
    except (ValueError, decimal.InvalidOperation):
        return None  # not what the ontology says: shown as missing rather than as a wrong type
    return value


def entity_ref(
    doc: Mapping[str, Any], class_of_label: Mapping[str, str], hidden: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """An entity of a change by class and key; key properties in ``hidden`` (personal data the
    caller may not see; none of today's keys is) are null, and so is then the subject."""
    key = doc.get("key") or {}
    label = str(doc.get("class", ""))
    masked = any(k in hidden for k in key)
    return {
        "class_name": class_of_label.get(label, label),
        "key": [
            {"name": str(k), "value": None if v is None or k in hidden else str(v)} for k, v in key.items()
        ],
        "subject": None if masked else "/".join([label, *(str(v) for v in key.values())]),
    }


@dataclass(frozen=True)
class ChangeView:
    """What subscribers of one class see of the change log."""

    class_name: str
    fields: ClassFields
    labels: frozenset[str]  # Neo4j labels of the class and of its subclasses
    class_of_label: Mapping[str, str]
    relation_names: Mapping[str, str]  # relationship type -> the ontology's relation name
    personal: frozenset[str] = frozenset()  # names of every personal-data property of the model
    #: (class, property) → its closed code list: a ``where`` value outside it is refused, as in queries
    codes: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        model: DomainModel,
        fields: ClassFields,
        codes: Mapping[tuple[str, str], frozenset[str]] | None = None,
    ) -> ChangeView:
        name = fields.cls.name
        members = (name, *model.subclasses(name))
        return cls(
            class_name=name,
            fields=fields,
            labels=frozenset(model.cls(c).neo4j_label for c in members),
            class_of_label={c.neo4j_label: c.name for c in model.classes.values()},
            relation_names={r.rel_type: r.name for r in model.relations.values() if r.stored},
            personal=personal_properties(model),
            codes=codes or {},
        )

    def items(self, event: Any, cursor: str, *, personal: bool) -> Iterator[dict[str, Any]]:
        """The delivered change of one CloudEvent, when it concerns this class (at most one)."""
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            return
        data = event["data"]
        if event.get("type") == ENTITY_CHANGED:
            entity = data.get("entity") or {}
            if entity.get("class") in self.labels:
                properties = data.get("properties") or {}
                yield self._item(event, cursor, entity, properties, None, personal)
        elif event.get("type") == RELATIONSHIP_CHANGED:
            ends = [data.get("from") or {}, data.get("to") or {}]
            mine = next((end for end in ends if end.get("class") in self.labels), None)
            if mine is not None:
                yield self._item(event, cursor, mine, {}, self._relationship(data, personal), personal)

    def _item(
        self,
        event: Mapping[str, Any],
        cursor: str,
        entity: Mapping[str, Any],
        properties: Mapping[str, Any],
        relationship: dict[str, Any] | None,
        personal: bool,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {p.key: None for p in self.fields.properties.values()}
        given: dict[str, Any] = {}
        masked: list[str] = []
        for source in (entity.get("key") or {}, properties):
            for name, value in source.items():
                prop = self.fields.properties.get(name)
                if prop is None:
                    continue  # a subclass's own property: subscribe to the subclass for it
                given[name] = typed(prop.prop.graphql_type, value)
                if prop.prop.personal_data and not personal:
                    masked.append(f"{self.fields.cls.graphql_name}.{name}")
                else:
                    values[prop.key] = given[name]
        cause = event.get("data", {}).get("cause") or {}
        return {
            "id": str(event.get("id", "")),
            "cursor": cursor,
            "change": KINDS.get(str(event.get("data", {}).get("change")), "UPDATED"),
            "class_name": self.class_of_label.get(str(entity.get("class")), str(entity.get("class"))),
            "entity": entity_ref(entity, self.class_of_label, self._hidden(personal)),
            "values": values,
            "changed_properties": sorted(properties),
            "masked_fields": sorted(dict.fromkeys(masked)),
            "relationship": relationship,
            "cause": {
                "id": cause.get("id"),
                "type": cause.get("type"),
                "source": cause.get("source"),
                "time": typed("DateTime", cause.get("time")),
            },
            "time": typed("DateTime", event.get("time")),
            "_given": given,  # for `where`; never a GraphQL field
        }

    def _hidden(self, personal: bool) -> frozenset[str]:
        return frozenset() if personal else self.personal

    def _relationship(self, data: Mapping[str, Any], personal: bool) -> dict[str, Any]:
        rel_type = str(data.get("relationship", ""))
        hidden = self._hidden(personal)
        return {
            "relation": self.relation_names.get(rel_type),
            "relationship_type": rel_type,
            "from_": entity_ref(data.get("from") or {}, self.class_of_label, hidden),
            "to": entity_ref(data.get("to") or {}, self.class_of_label, hidden),
            "previous": [
                entity_ref(p, self.class_of_label, hidden)
                for p in data.get("previous") or ()
                if isinstance(p, dict)
            ],
        }

    # -- where --------------------------------------------------------------------------------

    def condition(self, where: Mapping[str, Any] | None, *, personal: bool) -> Condition:
        """The ``<Class>ChangeWhere`` value as a test on delivered items (all parts must hold)."""
        parts: list[Condition] = []
        for name, given in (where or {}).items():
            if given is None:
                continue
            if name == "change":
                parts.append(_change_in({getattr(k, "value", k) for k in given}))
            elif name == "changed":
                wanted = set(given)
                self._known(wanted, personal)
                parts.append(_changed_any(wanted))
            elif name == "relation":
                parts.append(_relation_in(set(given)))
            elif name in self.fields.properties:
                self._known({name}, personal)  # personal data is refused before the code check
                check_codes(self.codes, self.class_name, self.fields.properties[name].name, given)
                parts.append(_property_condition(name, given))
            else:
                raise bad_input(f"{self.fields.cls.graphql_name} changes cannot be filtered on {name!r}")
        return lambda item: all(part(item) for part in parts)

    def _known(self, names: set[str], personal: bool) -> None:
        for name in sorted(names):
            prop = self.fields.properties.get(name)
            if prop is None:
                raise bad_input(f"{self.fields.cls.graphql_name} has no property {name!r}")
            if prop.prop.personal_data and not personal:
                raise client_error(
                    f"{self.fields.cls.graphql_name}.{name} is personal data: the role `personal-data` "
                    "is needed to filter on it",
                    FORBIDDEN,
                    field=f"{self.fields.cls.graphql_name}.{name}",
                )


def _change_in(kinds: set[Any]) -> Condition:
    return lambda item: item["change"] in kinds


def _changed_any(wanted: set[str]) -> Condition:
    return lambda item: bool(wanted & set(item["changed_properties"]))


def _relation_in(relations: set[str]) -> Condition:
    return lambda item: item["relationship"] is not None and item["relationship"]["relation"] in relations


def _property_condition(name: str, operators: Mapping[str, Any]) -> Condition:
    tests = [(op, operand) for op, operand in operators.items() if operand is not None]

    def test(item: Mapping[str, Any]) -> bool:
        value = item["_given"].get(name, _MISSING)
        return all(compare(op, value, operand) for op, operand in tests)

    return test


def compare(op: str, value: Any, operand: Any) -> bool:
    """One comparison of the ``where`` operators on a change's value (``_MISSING``: the change
    does not carry the property, which only ``isNull: true`` matches)."""
    absent = value is _MISSING or value is None
    if op == "isNull":
        return absent == bool(operand)
    if absent:
        return False
    value, operand = _comparable(value, operand)
    try:
        return OPERATORS[op].test(value, operand)
    except (TypeError, KeyError):
        return False


def _comparable(value: Any, operand: Any) -> tuple[Any, Any]:
    if isinstance(operand, decimal.Decimal) and isinstance(value, float):
        return decimal.Decimal(repr(value)), operand
    if isinstance(operand, Sequence) and not isinstance(operand, str):
        return value, [_comparable(value, o)[1] for o in operand]
    return value, operand


def property_fields(fields: ClassFields) -> tuple[PropertyField, ...]:
    return tuple(fields.properties.values())
