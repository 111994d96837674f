"""Helpers of the data product unit tests: product folders and shapes written into tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

PREFIXES = """@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix dsq:  <https://w3id.org/digispine/products#> .
"""

#: A row with a key, a ratio, a count, a date, a list and nested objects.
SAMPLE_SHAPE = (
    PREFIXES
    + """
dsq:SampleV1Shape a sh:NodeShape ;
    rdfs:comment "A sample row."@en ;
    sh:targetClass dsq:SampleV1Row ;
    sh:closed true ;
    sh:ignoredProperties ( rdf:type ) ;
    sh:property
        [ sh:path dsq:lotNumber ; sh:order 1 ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ;
          sh:description "The lot."@en ] ,
        [ sh:path dsq:ratio ; sh:order 2 ; sh:datatype xsd:decimal ; sh:maxCount 1 ;
          sh:minInclusive 0 ; sh:maxInclusive 1 ] ,
        [ sh:path dsq:count ; sh:order 3 ; sh:datatype xsd:integer ; sh:minCount 1 ; sh:maxCount 1 ] ,
        [ sh:path dsq:day ; sh:order 4 ; sh:datatype xsd:date ; sh:maxCount 1 ] ,
        [ sh:path dsq:at ; sh:order 5 ; sh:datatype xsd:dateTime ; sh:maxCount 1 ] ,
        [ sh:path dsq:ok ; sh:order 6 ; sh:datatype xsd:boolean ; sh:maxCount 1 ] ,
        [ sh:path dsq:state ; sh:order 7 ; sh:datatype xsd:string ; sh:maxCount 1 ; sh:in ( "A" "B" ) ] ,
        [ sh:path dsq:tags ; sh:order 8 ; sh:datatype xsd:string ] ,
        [ sh:path dsq:shipments ; sh:order 9 ; sh:node dsq:SampleV1ShipmentShape ] .

dsq:SampleV1ShipmentShape a sh:NodeShape ;
    sh:closed true ;
    sh:property
        [ sh:path dsq:shipmentNumber ; sh:order 1 ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] ,
        [ sh:path dsq:quantity ; sh:order 2 ; sh:datatype xsd:decimal ; sh:maxCount 1 ; sh:minInclusive 0 ] .
"""
)

DESCRIPTOR: dict[str, Any] = {
    "name": "sample",
    "version": "1.0.0",
    "title": "Sample",
    "domain": "production",
    "owner": "Test team",
    "description": "A sample product.",
    "freshnessSla": "PT15M",
    "tags": ["test"],
    "outputShape": "dsq:SampleV1Shape",
    "parameters": {"lotNumber": {"type": "String", "description": "Only this lot."}},
}

QUERY = "MATCH (l:Lot) WHERE $lotNumber IS NULL OR l.lotNumber = $lotNumber RETURN l.lotNumber AS lotNumber\n"


def write_product(
    root: Path,
    descriptor: dict[str, Any] | None = None,
    *,
    query: str = QUERY,
    folder: str | None = None,
    product_folder: str | None = None,
    raw: str | None = None,
) -> Path:
    """A product folder ``root/queries/<name>/v<major>/``; returns the descriptor file."""
    doc = {**DESCRIPTOR, **(descriptor or {})}
    name = product_folder or str(doc.get("name") or "sample")
    version_folder = folder or f"v{str(doc.get('version', '1.0.0')).split('.')[0]}"
    directory = root / "queries" / name / version_folder
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "product.yaml"
    path.write_text(raw if raw is not None else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    (directory / "query.cypher").write_text(query, encoding="utf-8")
    return path


def write_shapes(root: Path, turtle: str = SAMPLE_SHAPE, name: str = "sample-v1.ttl") -> Path:
    directory = root / "shapes"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(textwrap.dedent(turtle), encoding="utf-8")
    return directory
