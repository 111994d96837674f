"""Neo4j access: the driver wrapper (:mod:`.neo4j_store`) and the local server (:mod:`.local_neo4j`)."""

from graph_service.store.neo4j_store import LoopReader, Neo4jStore, ServerInfo

__all__ = ["LoopReader", "Neo4jStore", "ServerInfo"]
