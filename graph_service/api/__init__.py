"""The HTTP API: FastAPI app (health, readiness; GraphQL comes with the semantic layer)."""
