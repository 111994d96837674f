"""Analysts' access to the graph beyond the data products: read-only Cypher, RDF, SPARQL."""
