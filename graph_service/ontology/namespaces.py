"""RDF namespaces of the ontology and helpers to turn IRIs into short, readable names."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

#: Every term of the DigiSpine ontology lives in this one namespace.
DS = Namespace("https://w3id.org/digispine/ontology#")
#: Module (owl:Ontology) IRIs are this base plus the module name, e.g. ``.../ontology/core``.
DS_MODULE_BASE = "https://w3id.org/digispine/ontology/"
#: Annotations on the lint shapes (``shapes/ontology/``): the problem code of each rule.
LINT = Namespace("https://w3id.org/digispine/lint#")

#: Prefixes used to print IRIs as CURIEs, in lookup order.
PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "ds": str(DS),
        "owl": str(OWL),
        "rdf": str(RDF),
        "rdfs": str(RDFS),
        "xsd": str(XSD),
        "skos": str(SKOS),
        "dcterms": str(DCTERMS),
        "prov": str(PROV),
    }
)

__all__ = [
    "DCTERMS",
    "DS",
    "DS_MODULE_BASE",
    "LINT",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "curie",
    "in_ds",
    "local_name",
]


def in_ds(iri: object) -> bool:
    """True when ``iri`` is a term of the DigiSpine namespace."""
    return isinstance(iri, str) and iri.startswith(str(DS)) and len(iri) > len(str(DS))


def local_name(iri: str) -> str:
    """The part after the namespace: ``ds:WorkCenter`` → ``WorkCenter``."""
    for sep in ("#", "/"):
        if sep in iri:
            return iri.rsplit(sep, 1)[1]
    return iri


def curie(iri: str) -> str:
    """``https://w3id.org/digispine/ontology#Lot`` → ``ds:Lot``; unknown namespaces as ``<iri>``."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"
