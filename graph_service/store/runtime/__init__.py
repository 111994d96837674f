"""Maven descriptor that resolves the Neo4j Community server artifacts (no jar is committed)."""
