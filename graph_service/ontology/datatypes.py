"""The one table mapping XSD datatypes to Neo4j, Python and GraphQL types."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from graph_service.ontology.namespaces import XSD


@dataclass(frozen=True)
class DataType:
    """How values of one XSD datatype are stored (Neo4j), handled (Python) and served (GraphQL)."""

    xsd: str
    neo4j_type: str
    python_type: type
    graphql_type: str
    note: str = ""


def _row(xsd: str, neo4j: str, python: type, graphql: str, note: str = "") -> tuple[str, DataType]:
    return xsd, DataType(xsd, neo4j, python, graphql, note)


#: Keyed by the XSD local name (``"decimal"``). The ontology conventions allow exactly these.
DATATYPES: Mapping[str, DataType] = MappingProxyType(
    dict(
        [
            _row("string", "STRING", str, "String"),
            _row("integer", "INTEGER", int, "Int", "Neo4j stores 64-bit integers"),
            _row(
                "decimal",
                "FLOAT",
                decimal.Decimal,
                "Decimal",
                "Neo4j has no decimal type: stored as FLOAT (about 15 significant digits), "
                "served as an exact Decimal string",
            ),
            _row("double", "FLOAT", float, "Float"),
            _row("boolean", "BOOLEAN", bool, "Boolean"),
            _row("date", "DATE", datetime.date, "Date"),
            _row(
                "dateTime",
                "ZONED DATETIME",
                datetime.datetime,
                "DateTime",
                "values without a time zone are rejected by the loaders",
            ),
            _row(
                "duration",
                "DURATION",
                str,
                "String",
                "ISO 8601 text such as PT8H in Python and GraphQL (months do not fit timedelta)",
            ),
            _row("anyURI", "STRING", str, "String"),
        ]
    )
)


def datatype_for(xsd_iri: str) -> DataType | None:
    """The row for a full XSD IRI, or None when the ontology may not use that datatype."""
    if not xsd_iri.startswith(str(XSD)):
        return None
    return DATATYPES.get(xsd_iri[len(str(XSD)) :])


def supported_xsd_curies() -> str:
    """``xsd:string, xsd:integer, …`` for messages."""
    return ", ".join(f"xsd:{name}" for name in DATATYPES)
