"""DigiSpine graph service: ontology compiler, Neo4j store, GraphQL API and CLI."""

__version__ = "0.1.0"
