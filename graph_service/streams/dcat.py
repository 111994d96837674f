"""The streams in the DCAT 3 catalog (``/catalog.jsonld``), beside the batch data products.

Per stream version: a ``dcat:Dataset`` (``dsq:kind "STREAM"``, its inputs, key, windows' SLAs,
shape as ``dct:conformsTo``) with two ``dcat:Distribution``s — the Kafka topic (bootstrap servers,
topic, ``application/cloudevents+json``, the shape) and the GraphQL subscription (field, path,
graphql-transport-ws) served by a ``dcat:DataService`` — and its measured freshness as DQV
quality measurements (consumer lag, latency p50/p99, conformance rate) plus ``dsq:lastEventTime``
and ``dsq:freshnessStatus``. Per stream: a series dataset whose ``dcat:hasVersion`` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from graph_service.products.catalog import DCAT, DQV, DSQ, GRAPHQL_SPEC, add_dataset
from graph_service.streams.catalog import SUBSCRIPTION_PROTOCOL_SPEC, StreamCatalog
from graph_service.streams.descriptor import StreamDescriptor, iso_duration
from graph_service.streams.freshness import Freshness

_IANA = "https://www.iana.org/assignments/media-types/"
#: The freshness figures published as DQV measurements: metric, title, datatype, reader.
_METRICS = (
    (DSQ.consumerLag, "input events the stream's processors have not read yet", XSD.integer, "consumer_lag"),
    (
        DSQ.latencyP50Ms,
        "median ms from input event written to derived event written",
        XSD.double,
        "latency_p50_ms",
    ),
    (DSQ.latencyP99Ms, "99th percentile of the same", XSD.double, "latency_p99_ms"),
    (
        DSQ.conformanceRate,
        "share of recent derived events conforming to the shape",
        XSD.double,
        "conformance_rate",
    ),
)


def add_streams(
    graph: Graph,
    streams: StreamCatalog,
    freshness: Mapping[tuple[str, int], Freshness],
    *,
    base_url: str,
    themes: Mapping[str, str] | None = None,
) -> None:
    """Add every stream of ``streams`` to the catalog in ``graph`` (made by ``catalog_graph``)."""
    base = base_url.rstrip("/") + "/"
    catalog = URIRef(base + "catalog.jsonld")
    endpoint = URIRef(base + streams.graphql_path.lstrip("/"))
    for metric, title, datatype, _ in _METRICS:
        graph.add((metric, RDF.type, DQV.Metric))
        graph.add((metric, DCTERMS.title, Literal(title, lang="en")))
        graph.add((metric, DQV.expectedDataType, datatype))
    for name in streams.registry.names():
        series = URIRef(f"{base}streams/{name}")
        graph.add((catalog, DCAT.dataset, series))
        graph.add((series, RDF.type, DCAT.Dataset))
        graph.add((series, DCTERMS.identifier, Literal(f"stream {name}")))
        latest = streams.registry.latest(name)
        graph.add((series, DCTERMS.title, Literal(latest.title, lang="en")))
        graph.add((series, DCAT.hasCurrentVersion, _dataset_iri(base, latest)))
        previous: URIRef | None = None
        for d in streams.registry.versions(name):
            dataset = _dataset_iri(base, d)
            graph.add((series, DCAT.hasVersion, dataset))
            graph.add((catalog, DCAT.dataset, dataset))
            _dataset(graph, dataset, d, themes or {})
            _kafka(graph, dataset, streams, d)
            service = URIRef(f"{endpoint}#{streams.field_name(d)}")
            graph.add((catalog, DCAT.service, service))
            _subscription(graph, dataset, service, endpoint, streams, d)
            found = freshness.get((d.name, d.major))
            if found is not None:
                _freshness(graph, dataset, d, found)
            if previous is not None:
                graph.add((dataset, DCAT.previousVersion, previous))
            previous = dataset


def _dataset_iri(base: str, d: StreamDescriptor) -> URIRef:
    return URIRef(f"{base}streams/{d.name}/{d.version}")


def _dataset(graph: Graph, dataset: URIRef, d: StreamDescriptor, themes: Mapping[str, str]) -> None:
    add_dataset(
        graph,
        dataset,
        d,
        identifier=f"stream {d.name}/{d.version}",
        shape=d.shape_iri,
        publisher_id=f"owner-stream-{d.name}-{d.major}",
        themes=themes,
    )
    graph.add((dataset, DSQ.kind, Literal("STREAM")))
    graph.add((dataset, DSQ.domain, Literal(d.domain)))
    graph.add(
        (dataset, DSQ.freshnessSla, Literal(iso_duration(d.freshness_sla), datatype=XSD.dayTimeDuration))
    )
    graph.add((dataset, DSQ.latencySla, Literal(iso_duration(d.latency_sla), datatype=XSD.dayTimeDuration)))
    graph.add((dataset, DSQ.emit, Literal(d.emit)))
    graph.add((dataset, DSQ.key, URIRef(d.key_iri)))
    graph.add((dataset, DSQ.outputType, Literal(d.output_type)))
    for event_type in d.inputs:
        graph.add((dataset, DSQ.inputEventType, Literal(event_type)))
    for role in d.access_roles:
        graph.add((dataset, DSQ.accessRole, Literal(role)))


def _kafka(graph: Graph, dataset: URIRef, streams: StreamCatalog, d: StreamDescriptor) -> None:
    kafka = streams.kafka(d)
    distribution = BNode(f"kafka-{d.name}-{d.major}")
    first = kafka.bootstrap_servers.split(",", 1)[0].strip()
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal(f"Kafka topic {kafka.topic}", lang="en")))
    graph.add((distribution, DCAT.accessURL, URIRef(f"kafka://{first}/{kafka.topic}")))
    graph.add((distribution, DCAT.mediaType, URIRef(_IANA + kafka.media_type)))
    graph.add((distribution, DCTERMS.format, Literal(kafka.media_type)))
    graph.add((distribution, DCTERMS.conformsTo, URIRef(kafka.shape)))
    graph.add((distribution, DSQ.kafkaBootstrapServers, Literal(kafka.bootstrap_servers)))
    graph.add((distribution, DSQ.kafkaTopic, Literal(kafka.topic)))
    graph.add((distribution, DSQ.kafkaKey, Literal(kafka.key)))


def _subscription(
    graph: Graph,
    dataset: URIRef,
    service: URIRef,
    endpoint: URIRef,
    streams: StreamCatalog,
    d: StreamDescriptor,
) -> None:
    subscription = streams.subscription(d)
    distribution = BNode(f"subscription-{d.name}-{d.major}")
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal(f"GraphQL subscription {subscription.field}", lang="en")))
    graph.add((distribution, DCAT.accessURL, endpoint))
    graph.add((distribution, DCAT.accessService, service))
    graph.add((distribution, DCAT.mediaType, URIRef(_IANA + "application/json")))
    graph.add((distribution, DSQ.subscriptionField, Literal(subscription.field)))
    graph.add((distribution, DSQ.protocol, Literal(subscription.protocol)))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add(
        (service, DCTERMS.title, Literal(f"{d.title} (GraphQL subscription {subscription.field})", lang="en"))
    )
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.conformsTo, GRAPHQL_SPEC))
    graph.add((service, DCTERMS.conformsTo, URIRef(SUBSCRIPTION_PROTOCOL_SPEC)))
    graph.add((service, DCAT.version, Literal(d.version)))
    for role in d.access_roles:
        graph.add((service, DSQ.accessRole, Literal(role)))


def _freshness(graph: Graph, dataset: URIRef, d: StreamDescriptor, f: Freshness) -> None:
    measured = Literal(f.measured_at.isoformat(), datatype=XSD.dateTime)
    graph.add((dataset, DSQ.freshnessStatus, Literal(f.status.value)))
    graph.add((dataset, DSQ.freshnessMeasuredAt, measured))
    if f.detail:
        graph.add((dataset, DSQ.freshnessDetail, Literal(f.detail)))
    if f.last_event_time is not None:
        graph.add((dataset, DSQ.lastEventTime, Literal(f.last_event_time.isoformat(), datatype=XSD.dateTime)))
    graph.add((dataset, DSQ.sampledEvents, Literal(f.sampled_events)))
    for metric, _, datatype, attribute in _METRICS:
        value = getattr(f, attribute)
        if value is None:
            continue  # not measured: no measurement rather than a made-up value
        measurement = BNode(f"stream-{d.name}-{d.major}-{metric.fragment}")
        graph.add((dataset, DQV.hasQualityMeasurement, measurement))
        graph.add((measurement, RDF.type, DQV.QualityMeasurement))
        graph.add((measurement, DQV.isMeasurementOf, metric))
        graph.add((measurement, DQV.computedOn, dataset))
        graph.add((measurement, DQV.value, Literal(value, datatype=datatype)))
        graph.add((measurement, PROV.generatedAtTime, measured))
