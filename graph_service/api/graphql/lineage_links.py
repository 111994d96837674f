"""An event's lineage links as GraphQL values: the entity, the link's role and the values it kept.

``affected`` (generated from ``ds:affected``) gives the entities an event touched; the links
themselves may carry a qualifier (a mapping's ``role:``: packer, shipper) and the values of
properties kept as a history (``history: true``). ``affectedLinks`` serves them on every event
type: the same hop, arguments and cost as ``affected`` (filter and order apply to the entity),
each item ``{role, keptValues, entity}``, read by the same one statement as the rest of the root
field (:mod:`cypher_builder`). Kept values are never personal data: the mapping refuses
``history`` on ``ds:personalData`` properties.
"""

from __future__ import annotations

from typing import Any, Optional

import strawberry

#: The field on every event type, and the type of its items.
LINKS_FIELD = "affectedLinks"
LINK_TYPE = "AffectedLink"
#: The relation (model name) whose links it serves.
LINKED_RELATION = "affected"
#: Keys of each item's Cypher map: the Python names of the fields below.
ROLE_KEY = "role"
KEPT_KEY = "kept_values"
ENTITY_KEY = "entity"


@strawberry.type(description="A value an event's lineage link kept: a property's value as of that event.")
class KeptValue:
    property: str = strawberry.field(description="The ontology property (datatype property name).")
    value: Optional[str] = strawberry.field(  # noqa: UP045
        description="Its value as of the event, as text (dates and times in ISO 8601)."
    )


def link_type(entity: Any) -> type:
    """The ``AffectedLink`` type, its ``entity`` typed as the generated type of affected entities."""
    # Imported here: the Cypher builder reads this module's keys, and concrete_types imports it.
    from graph_service.api.graphql.concrete_types import always

    namespace = {
        "__annotations__": {ROLE_KEY: Optional[str], KEPT_KEY: list[KeptValue], ENTITY_KEY: entity},  # noqa: UP045
        ROLE_KEY: strawberry.field(
            description="The link's qualifier (packer, shipper, …) as the mapping's `role:` set it; "
            "null: none."
        ),
        KEPT_KEY: strawberry.field(
            name="keptValues",
            description="Values of the entity's properties kept on the link (the mapping's "
            "`history: true`), by property name.",
        ),
        ENTITY_KEY: strawberry.field(description="The entity the event affected."),
    }
    made = strawberry.type(
        type(LINK_TYPE, (), namespace),
        description="A lineage link from an event to an entity it affected (`AFFECTED`), with what "
        "the link says.",
    )
    # The result dicts hold exactly these fields: the one-walk completion takes them as they are.
    made.is_type_of = staticmethod(always)  # type: ignore[attr-defined]
    KeptValue.is_type_of = staticmethod(always)  # type: ignore[attr-defined]
    return made
