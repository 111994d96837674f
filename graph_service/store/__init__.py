"""Neo4j access: the driver wrapper (:mod:`.neo4j_store`) and the local server (:mod:`.local_neo4j`)."""

from graph_service.store.neo4j_store import Neo4jStore, ServerInfo

__all__ = ["Neo4jStore", "ServerInfo"]
