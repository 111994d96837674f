"""The HTTP API: the FastAPI app (health, readiness) and the GraphQL API generated from the ontology."""
