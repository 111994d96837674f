"""Maven descriptor that resolves the Apache Kafka broker artifacts (no jar is committed)."""
