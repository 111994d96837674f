"""A compiled SHACL core validator: shapes are read once into plain Python checks.

``compiler`` turns a shapes graph into :class:`~loaders.shacl.model.Program` (refusing, with file,
shape and parameter, anything it cannot enforce exactly as pyshacl does); ``views`` gives the
checks two kinds of data to run on — an event payload read as RDF without building the graph
(the loaders' hot path), or an rdflib graph (the SHACL core test suite, and payload shapes that
need the whole graph); the constraint components live in one module per family under
``components``.
"""
