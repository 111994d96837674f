"""Roles and kept values of lineage links, as GraphQL serves them and as RDF states them.

The warehouse system of tests/data/sources/wms (files outside the repository) links its events to
a packer and a forwarder with a role, and keeps each handover's carrier on the link
(``history: true``). GraphQL's ``affectedLinks`` returns each link with its role, kept values and
entity, in the root field's one statement; the RDF export and the SPARQL view say the same as a
qualified PROV usage with the role, and the entity as of the event with the kept value.
"""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from graph_service.api.graphql import make_schema
from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from graph_service.rdf.export import export
from graph_service.rdf.view import RdfView
from graph_service.settings import SHIPPED_MAPPINGS, Settings, load_settings
from graph_service.store import Neo4jStore
from tests.integration.test_new_system import EVENTS
from tests.support.loading import REPO, load_fresh

pytestmark = pytest.mark.integration

PROV = Namespace("http://www.w3.org/ns/prov#")
DS = Namespace("https://w3id.org/digispine/ontology#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
ROLE_LABELS = (
    "PREFIX prov: <http://www.w3.org/ns/prov#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?label WHERE { ?e prov:qualifiedUsage ?u . ?u prov:hadRole ?r . ?r rdfs:label ?label }"
)

LINKS = """
{ parcelHandedOverEvents(orderBy: [{field: eventTime}]) { nodes {
    eventId
    affectedLinks {
      role
      keptValues { property value }
      entity { __typename ... on Shipment { shipmentNumber } ... on Supplier { supplierId } }
    }
    firstLink: affectedLinks(first: 1) { role }
} }
  parcelPackedEvents { nodes { eventId affectedLinks { role entity { ... on Operator { personId } } } } }
}
"""


@pytest.fixture()
def plant(neo4j_settings: Settings, store: Neo4jStore, tmp_path: Path) -> DomainModel:
    files = tmp_path / "plant"
    shutil.copytree(REPO / "tests" / "data" / "sources" / "wms", files)
    stats = load_fresh(
        neo4j_settings,
        store,
        tmp_path / "data",
        EVENTS,
        "links",
        ontology_dirs=(files / "ontology",),
        mappings_dirs=(SHIPPED_MAPPINGS, files / "mappings"),
    )
    assert (stats.loaded, stats.rejected_total) == (len(EVENTS), 0), stats.rejected
    settings = load_settings(ontology_dir=REPO / "ontology", ontology_dirs=(files / "ontology",))
    return load_model(settings.ontology_paths)


def _links(node: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            link["role"] or "",
            tuple((k["property"], k["value"]) for k in link["keptValues"]),
            link["entity"]["__typename"],
            link["entity"].get("shipmentNumber") or link["entity"].get("supplierId"),
        )
        for link in node["affectedLinks"]
    )


def test_link_roles_and_kept_values_are_served_by_graphql_and_stated_in_rdf(
    plant: DomainModel, store: Neo4jStore
) -> None:
    """One load for both (the load is the slow part): GraphQL first, then the RDF export and view."""
    _check_graphql(plant, store)
    _check_rdf(plant, store)


def _check_graphql(plant: DomainModel, store: Neo4jStore) -> None:
    result = asyncio.run(make_schema(plant, store).execute(LINKS))
    assert result.errors is None, result.errors
    assert result.data is not None
    handed = {n["eventId"]: n for n in result.data["parcelHandedOverEvents"]["nodes"]}
    assert _links(handed["h-1"]) == [
        ("", (("carrier", "DHL"),), "Shipment", "SH-9"),  # the value this event kept
        ("forwarder", (), "Supplier", "S-1"),
    ]
    assert _links(handed["h-2"]) == [
        ("", (("carrier", "UPS"),), "Shipment", "SH-9"),
        ("forwarder", (), "Supplier", "S-2"),
    ]
    assert all(len(n["firstLink"]) == 1 for n in handed.values())  # an alias with its own arguments
    [packed] = result.data["parcelPackedEvents"]["nodes"]
    roles = {(link["role"], link["entity"].get("personId")) for link in packed["affectedLinks"]}
    assert ("packer", "OP-7") in roles
    assert {role for role, _ in roles} == {"packer", None}  # the other links have no role


def _event_iri(graph: Graph, event_id: str) -> URIRef:
    [event] = graph.subjects(DS.eventId, Literal(event_id))
    assert isinstance(event, URIRef)
    return event


def _check_rdf(plant: DomainModel, store: Neo4jStore) -> None:
    """Roles as qualified usages, kept values as the entity as of the event, in every format."""
    graphs = {}
    for fmt, parser in (("nt", "nt"), ("ttl", "turtle"), ("jsonld", "json-ld")):
        out = io.StringIO()
        export(store, plant, out, fmt=fmt)
        graphs[fmt] = Graph().parse(data=out.getvalue(), format=parser)
    assert isomorphic(graphs["nt"], graphs["ttl"]) and isomorphic(graphs["nt"], graphs["jsonld"])
    graph = graphs["nt"]
    h1 = _event_iri(graph, "h-1")
    [usage] = graph.objects(h1, PROV.qualifiedUsage)
    assert (usage, PROV.entity, None) in graph and graph.value(usage, PROV.entity) is not None
    forwarder = graph.value(usage, PROV.entity)
    assert graph.value(forwarder, DS.supplierId) == Literal("S-1")
    role = graph.value(usage, PROV.hadRole)
    assert graph.value(role, RDFS_LABEL) == Literal("forwarder")
    assert (role, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), PROV.Role) in graph
    carriers = {
        (str(graph.value(v, PROV.wasGeneratedBy)), str(graph.value(v, DS.carrier)))
        for v in graph.subjects(PROV.specializationOf, None)
    }
    assert carriers == {(str(h1), "DHL"), (str(_event_iri(graph, "h-2")), "UPS")}

    view = RdfView(store, plant)
    try:
        view.refresh(full=True)
        rows = list(view.store.query(ROLE_LABELS))
    finally:
        view.stop()
    assert sorted(str(row["label"].value) for row in rows) == ["forwarder", "forwarder", "packer"]
