"""The DCAT 3 catalog of the data products, with their validation status (DQV), as RDF and JSON-LD.

Per product version: a ``dcat:Dataset`` (what the data is: title, description, version, owner,
keywords, domain, output shape as ``dct:conformsTo``, ``dsq:validationStatus`` (CONFORMS,
NONCONFORMING, TIMED_OUT, FAILED or NOT_CHECKED) and, when the output was checked, the quality
measurements of the latest validation) and a ``dcat:DataService`` (its GraphQL field,
``dcat:servesDataset``). Per product: a ``dcat:Dataset`` whose ``dcat:hasVersion`` lists the
versions, ``dcat:hasCurrentVersion`` the latest one; versions chain with ``dcat:previousVersion``.
The streams are added beside them by :func:`graph_service.streams.dcat.add_streams`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV

from graph_service.products.naming import PRODUCTS_NS
from graph_service.products.registry import DataProduct, ProductRegistry
from graph_service.products.validation import ValidationResult, status_of

#: DCAT 3 (rdflib's DefinedNamespace is DCAT 2 and warns on the versioning terms).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
DSQ = Namespace(PRODUCTS_NS)
ADMS_STATUS = Namespace("http://purl.org/adms/status/")
GRAPHQL_SPEC = URIRef("https://spec.graphql.org/October2021/")

#: The metrics of a product's validation, published in the catalog (``dqv:isMeasurementOf``).
SHAPE_CONFORMANCE = DSQ.shapeConformance
SHAPE_VIOLATIONS = DSQ.shapeViolationCount

CONTEXT: dict[str, Any] = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "adms": str(ADMS),
    "dqv": str(DQV),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "xsd": str(XSD),
    "dsq": PRODUCTS_NS,
}

Results = Callable[[DataProduct], ValidationResult | None]


def catalog_graph(
    registry: ProductRegistry,
    results: Results,
    *,
    base_url: str,
    graphql_path: str = "/graphql",
    themes: Mapping[str, str] | None = None,
    title: str = "DigiSpine data products",
) -> Graph:
    """The catalog as an RDF graph. ``themes`` maps a domain to its ontology module IRI."""
    base = base_url.rstrip("/") + "/"
    graph = Graph()
    for prefix, namespace in CONTEXT.items():
        graph.bind(prefix, namespace)
    catalog = URIRef(base + "catalog.jsonld")
    endpoint = URIRef(base + graphql_path.lstrip("/"))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(title, lang="en")))
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                "Versioned, owned and SHACL-validated views over the DigiSpine manufacturing "
                "knowledge graph, served as GraphQL fields.",
                lang="en",
            ),
        )
    )
    _metrics(graph)
    for name in registry.names():
        versions = registry.versions(name)
        series = URIRef(f"{base}products/{name}")
        latest = registry.latest(name)
        graph.add((catalog, DCAT.dataset, series))
        graph.add((series, RDF.type, DCAT.Dataset))
        graph.add((series, DCTERMS.identifier, Literal(name)))
        graph.add((series, DCTERMS.title, Literal(latest.descriptor.title, lang="en")))
        graph.add((series, DCAT.hasCurrentVersion, _dataset_iri(base, latest)))
        previous: URIRef | None = None
        for product in versions:
            dataset = _dataset_iri(base, product)
            graph.add((series, DCAT.hasVersion, dataset))
            graph.add((catalog, DCAT.dataset, dataset))
            _dataset(graph, dataset, product, results(product), endpoint, themes or {})
            service = URIRef(f"{endpoint}#{product.field_name}")
            graph.add((catalog, DCAT.service, service))
            _service(graph, service, dataset, product, endpoint)
            if previous is not None:
                graph.add((dataset, DCAT.previousVersion, previous))
            previous = dataset
    return graph


def catalog_jsonld(graph: Graph) -> dict[str, Any]:
    """The graph as compacted JSON-LD with a readable ``@context``."""
    text = graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True, sort_keys=True)
    compacted: dict[str, Any] = json.loads(text)
    return compacted


def _dataset_iri(base: str, product: DataProduct) -> URIRef:
    return URIRef(f"{base}products/{product.name}/{product.version}")


def _metrics(graph: Graph) -> None:
    for metric, label, datatype in (
        (SHAPE_CONFORMANCE, "output conforms to its SHACL shape", XSD.boolean),
        (SHAPE_VIOLATIONS, "number of SHACL violations in the output", XSD.integer),
    ):
        graph.add((metric, RDF.type, DQV.Metric))
        graph.add((metric, DCTERMS.title, Literal(label, lang="en")))
        graph.add((metric, DQV.expectedDataType, datatype))


def add_dataset(
    graph: Graph,
    dataset: URIRef,
    d: Any,
    *,
    identifier: str,
    shape: str,
    publisher_id: str,
    themes: Mapping[str, str],
) -> None:
    """What every catalog entry says of itself (a data product's or a stream's descriptor ``d``):
    identity, title, version, shape, status, tags, owner and theme."""
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.identifier, Literal(identifier)))
    graph.add((dataset, DCTERMS.title, Literal(d.title, lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(d.description, lang="en")))
    graph.add((dataset, DCAT.version, Literal(d.version)))
    graph.add((dataset, DCTERMS.conformsTo, URIRef(shape)))
    graph.add((dataset, ADMS.status, ADMS_STATUS.Deprecated if d.deprecated else ADMS_STATUS.Completed))
    if d.deprecation_reason:
        graph.add((dataset, ADMS.versionNotes, Literal(d.deprecation_reason, lang="en")))
    for tag in d.tags:
        graph.add((dataset, DCAT.keyword, Literal(tag, lang="en")))
    publisher = BNode(publisher_id)
    graph.add((dataset, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(d.owner)))
    if d.domain in themes:
        graph.add((dataset, DCAT.theme, URIRef(themes[d.domain])))


def _dataset(
    graph: Graph,
    dataset: URIRef,
    product: DataProduct,
    result: ValidationResult | None,
    endpoint: URIRef,
    themes: Mapping[str, str],
) -> None:
    d = product.descriptor
    add_dataset(
        graph,
        dataset,
        d,
        identifier=d.key,
        shape=d.output_shape,
        publisher_id=f"owner-{product.name}-{d.major}",
        themes=themes,
    )
    graph.add((dataset, DSQ.domain, Literal(d.domain)))
    graph.add((dataset, DSQ.freshnessSla, Literal(d.freshness_sla, datatype=XSD.dayTimeDuration)))
    graph.add((dataset, DSQ.graphqlField, Literal(product.field_name)))
    graph.add((dataset, DSQ.onViolation, Literal(d.on_violation)))
    for role in d.access_roles:
        graph.add((dataset, DSQ.accessRole, Literal(role)))
    distribution = BNode(f"graphql-{product.name}-{d.major}")
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal(f"GraphQL field {product.field_name}", lang="en")))
    graph.add((distribution, DCAT.accessURL, endpoint))
    graph.add((distribution, DCAT.accessService, URIRef(f"{endpoint}#{product.field_name}")))
    graph.add(
        (
            distribution,
            DCAT.mediaType,
            URIRef("https://www.iana.org/assignments/media-types/application/json"),
        )
    )
    graph.add((dataset, DSQ.validationStatus, Literal(status_of(result).value)))
    if result is not None:
        _validation(graph, dataset, product, result)


def _validation(graph: Graph, dataset: URIRef, product: DataProduct, result: ValidationResult) -> None:
    checked = Literal(result.checked_at.isoformat(), datatype=XSD.dateTime)
    graph.add((dataset, DSQ.validatedAt, checked))
    if result.conforms is None or result.violation_count is None:
        measured: tuple[tuple[URIRef, Literal], ...] = ()  # timed out or failed: nothing was measured
    else:
        measured = (
            (SHAPE_CONFORMANCE, Literal(result.conforms)),
            (SHAPE_VIOLATIONS, Literal(result.violation_count)),
        )
    for metric, value in measured:
        measurement = BNode(f"{product.name}-{product.descriptor.major}-{metric.fragment}")
        graph.add((dataset, DQV.hasQualityMeasurement, measurement))
        graph.add((measurement, RDF.type, DQV.QualityMeasurement))
        graph.add((measurement, DQV.isMeasurementOf, metric))
        graph.add((measurement, DQV.computedOn, dataset))
        graph.add((measurement, DQV.value, value))
        graph.add((measurement, PROV.generatedAtTime, checked))
    for violation in result.sample_violations:
        graph.add((dataset, DSQ.sampleViolation, Literal(_violation_text(violation))))
    if result.error:
        graph.add((dataset, DSQ.validationError, Literal(result.error)))


def _violation_text(violation: Any) -> str:
    where = f"row {violation.row}" if violation.row is not None else "output"
    key = f" ({violation.row_key})" if violation.row_key else ""
    return f"{where}{key}: {violation.message}"


def _service(graph: Graph, service: URIRef, dataset: URIRef, product: DataProduct, endpoint: URIRef) -> None:
    d = product.descriptor
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCTERMS.title, Literal(f"{d.title} (GraphQL field {product.field_name})", lang="en")))
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.conformsTo, GRAPHQL_SPEC))
    graph.add((service, DCAT.version, Literal(d.version)))
    for role in d.access_roles:
        graph.add((service, DSQ.accessRole, Literal(role)))
