"""`affectedLinks`: every event type has it, and it is read in the root field's one statement."""

from __future__ import annotations

import strawberry
from graphql import GraphQLObjectType, build_schema

from graph_service.api.graphql import make_schema
from graph_service.api.graphql.cypher_builder import build
from graph_service.api.graphql.lineage_links import LINKS_FIELD
from graph_service.api.graphql.plan import Hop, KeyLookup, Projection, RelationRead
from graph_service.ontology.model import DomainModel
from tests.unit.api.fakes import FakeStore


def test_every_event_type_and_no_other_type_has_the_links_field(model: DomainModel) -> None:
    core = make_schema(model, FakeStore())._schema
    events = {c.graphql_name for c in model.classes.values() if c.is_event}
    assert events
    for name, graphql_type in core.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or name.startswith("__"):
            continue
        has = LINKS_FIELD in graphql_type.fields
        is_event = name in events or name.removeprefix("Other") in events
        assert has == is_event, name
    link = core.get_type("AffectedLink")
    assert isinstance(link, GraphQLObjectType)
    assert set(link.fields) == {"role", "keptValues", "entity"}


def test_links_are_read_with_their_role_and_kept_values_in_one_statement() -> None:
    entity = Projection((("shipmentNumber", "shipmentNumber"),), with_labels=True)
    read = RelationRead(LINKS_FIELD, LINKS_FIELD, Hop("AFFECTED", "out"), True, entity, limit=5, link=True)
    plan = KeyLookup("ParcelHandedOver", (("eventId", "h-1"),), Projection((), relations=(read,)))
    statement = build(plan)
    assert statement.text == (
        "MATCH (n0:`ParcelHandedOver` {`eventId`: $p0})\n"
        "WITH n0 LIMIT 1\n"
        "RETURN n0 {\n"
        "  `affectedLinks`: COLLECT {\n"
        "    MATCH (n0)-[n2:`AFFECTED`]->(n1)\n"
        "    WITH n2, n1 ORDER BY elementId(n1) LIMIT $p1\n"
        "    RETURN {`role`: n2.`role`, `kept_values`: COLLECT { UNWIND keys(n2) AS n3 WITH n3 "
        "WHERE n3 <> 'role' ORDER BY n3 RETURN {property: n3, value: toString(n2[n3])} }, "
        "`entity`: n1 {.`shipmentNumber`, __labels: labels(n1)}}\n"
        "  }\n"
        "} AS node"
    )
    assert statement.params == {"p0": "h-1", "p1": 5}


def test_the_sdl_with_the_links_reparses_with_graphql_cores_parser(model: DomainModel) -> None:
    schema: strawberry.Schema = make_schema(model, FakeStore())
    reparsed = build_schema(schema.as_str())
    link = reparsed.get_type("AffectedLink")
    assert isinstance(link, GraphQLObjectType) and str(link.fields["keptValues"].type) == "[KeptValue!]!"
