"""Every GraphQL name the generated schema uses, derived from the ontology's names by fixed rules.

- object types and interfaces: the class's ``graphql_name`` (``SalesOrder``); a class that has
  subclasses is an interface, and its direct instances are the object type ``Other<Class>``;
- root fields: ``salesOrder(salesOrderNumber: …)`` by business key, ``salesOrders(…)`` as a
  connection (``equipmentList`` and ``billOfMaterialsList`` where the plural is the singular,
  ``lotProducedEvents`` for event classes named as past participles);
- relation fields: the object property's name (``hasItem``, ``orderedBy``); a stored relation
  without a declared inverse is also readable backwards as ``<plural of its domain>Via<Relation>``
  (``Customer.salesOrdersViaOrderedBy``);
- helper types: ``<Class>Connection``, ``<Class>Edge``, ``<Class>Where``, ``<Class>Order``,
  ``<Class>OrderField``, ``<Class>RelationFilter``.
"""

from __future__ import annotations

import keyword

#: Nouns without a plural in our vocabulary (``equipment``): their list field gets ``List``.
UNCOUNTABLE = frozenset({"equipment", "information", "software", "hardware", "data"})


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def plural(name: str) -> str:
    """English plural of a camel-case noun phrase, by its last word: ``lot`` → ``lots``,
    ``party`` → ``parties``, ``equipment`` → ``equipment``, ``billOfMaterials`` unchanged."""
    last = _last_word(name).lower()
    if last in UNCOUNTABLE or name.endswith("s"):
        return name
    if name.endswith(("x", "z", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and len(name) > 1 and name[-2].lower() not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def _last_word(name: str) -> str:
    for index in range(len(name) - 1, 0, -1):
        if name[index].isupper():
            return name[index:]
    return name


def key_field(type_name: str) -> str:
    """Root field that finds one instance by business key: ``salesOrder``."""
    return lower_first(type_name)


def plural_of_class(type_name: str, *, is_event: bool = False) -> str:
    """``salesOrders``; events named as past participles get ``Events`` (``lotProducedEvents``)."""
    single = lower_first(type_name)
    if is_event and not type_name.endswith("Event"):
        return single + "Events"
    return plural(single)


def list_field(type_name: str, *, is_event: bool = False) -> str:
    """Root connection field: ``salesOrders``, ``lotProducedEvents``; ``equipmentList`` when the
    plural is the singular."""
    many = plural_of_class(type_name, is_event=is_event)
    return many if many != lower_first(type_name) else many + "List"


def reverse_field(domain_type_name: str, relation_name: str, *, is_event: bool = False) -> str:
    """A stored relation read backwards when the ontology declares no inverse:
    ``salesOrdersViaOrderedBy`` on Customer for ``SalesOrder.orderedBy``."""
    return f"{plural_of_class(domain_type_name, is_event=is_event)}Via{upper_first(relation_name)}"


def other_type(type_name: str) -> str:
    """The object type of direct instances of a class that has subclasses: ``OtherEquipment``."""
    return f"Other{type_name}"


def connection_type(type_name: str) -> str:
    return f"{type_name}Connection"


def edge_type(type_name: str) -> str:
    return f"{type_name}Edge"


def where_type(type_name: str) -> str:
    return f"{type_name}Where"


def relation_filter_type(type_name: str) -> str:
    return f"{type_name}RelationFilter"


def order_type(type_name: str) -> str:
    return f"{type_name}Order"


def order_field_enum(type_name: str) -> str:
    return f"{type_name}OrderField"


def python_name(graphql_name: str) -> str:
    """The attribute name of a field in Python (and its key in result dicts): the GraphQL name,
    with ``_`` appended to Python keywords (``from`` → ``from_``)."""
    return graphql_name + "_" if keyword.iskeyword(graphql_name) else graphql_name
