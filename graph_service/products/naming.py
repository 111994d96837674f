"""Every name a data product gets outside its folder: GraphQL fields and types, IRIs, file names."""

from __future__ import annotations

import keyword
import re

from graph_service.ontology.naming import is_camel_case

#: Rows, their properties and the row classes of output shapes live in this namespace.
PRODUCTS_NS = "https://w3id.org/digispine/products#"
#: Catalog resources (datasets, the GraphQL service) are minted under this base when no request
#: base URL is known.
DEFAULT_BASE_URL = "http://localhost:8000/"

_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_FOLDER_VERSION = re.compile(r"^v(0|[1-9][0-9]*)$")

#: Values a query reads from the compiled ontology (``model_values.py`` computes them).
MODEL_VALUE_NAMES = frozenset({"ontologyObjectTypes", "ontologyEventTypes"})
#: Resolver parameters strawberry treats specially, and the model values: a product parameter
#: may not use them.
RESERVED_PARAMETER_NAMES = frozenset({"info", "root", "self", "parent"}) | MODEL_VALUE_NAMES


def is_product_name(name: str) -> bool:
    """lowerCamelCase, as GraphQL field names are: ``orderFulfillment``, ``equipmentOEE``."""
    return is_camel_case(name)


def parse_version(version: str) -> tuple[int, int, int] | None:
    """``"2.1.0"`` → ``(2, 1, 0)``; None when it is not a semantic version."""
    match = _VERSION.match(version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def folder_major(folder: str) -> int | None:
    """``"v2"`` → 2; None when the folder is not named ``v<major>``."""
    match = _FOLDER_VERSION.match(folder)
    return int(match[1]) if match else None


def major_of(version: str) -> int:
    parsed = parse_version(version)
    if parsed is None:
        raise ValueError(f"not a semantic version: {version!r}")
    return parsed[0]


def versioned_field(name: str, version: str) -> str:
    """The GraphQL field of one major version: ``orderFulfillmentV2``."""
    return f"{name}V{major_of(version)}"


def row_type_name(name: str, version: str) -> str:
    """The GraphQL type of a row: ``OrderFulfillmentV2Row``."""
    return f"{name[0].upper()}{name[1:]}V{major_of(version)}Row"


def nested_type_name(row_type: str, shape_local_name: str) -> str:
    """The GraphQL type of a nested object, from its shape's local name without ``Shape``:
    ``LotGenealogyV1Row`` + ``LotGenealogyV1ShipmentShape`` → ``LotGenealogyV1Shipment``; a name
    that does not start with the row's stem gets it as a prefix (``ShipmentShape`` → the same)."""
    prefix = row_type.removesuffix("Row")
    stem = shape_local_name.removesuffix("Shape")
    return stem if stem.startswith(prefix) else f"{prefix}{stem[0].upper()}{stem[1:]}"


def python_name(name: str) -> str:
    """A Python identifier for a GraphQL name (``from`` → ``from_``)."""
    return f"{name}_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def local_name(iri: str) -> str:
    """The part after the last ``#`` or ``/``."""
    return re.split(r"[#/]", iri)[-1]
