"""The graph as RDF: the mapping to the ontology's IRIs, streaming export, the SPARQL view."""
