"""Observability: Prometheus metrics, OpenTelemetry traces, structured logs with request ids.

Everything here is built in a composition root (the FastAPI lifespan, a CLI command) and passed
down; the modules hold no state of their own. See docs/observability.md.
"""
