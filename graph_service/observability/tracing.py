"""OpenTelemetry traces: a span per HTTP request, per GraphQL root field and per Cypher statement.

Off unless ``DIGISPINE_OTLP_ENDPOINT`` is set: then :func:`tracer_provider` builds a provider that
batches spans to that OTLP/HTTP endpoint. The provider is the app's own (passed down, never set
as OpenTelemetry's global one), so tests hand the app a provider with an in-memory exporter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph_service import __version__
from graph_service.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

#: The instrumentation scope of every span DigiSpine makes.
SCOPE = "digispine"


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """A provider exporting to ``DIGISPINE_OTLP_ENDPOINT``; None when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    # Imported only when tracing is on: the SDK and the exporter cost start-up time otherwise.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": settings.otlp_service_name, "service.version": __version__})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    return provider


def tracer_of(provider: TracerProvider | None) -> Tracer | None:
    return provider.get_tracer(SCOPE, __version__) if provider is not None else None
