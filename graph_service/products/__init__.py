"""Data products: versioned, owned, SHACL-validated views over the graph, served over GraphQL.

Public API: :func:`build_data_products` builds a :class:`DataProducts` (GraphQL query type,
FastAPI router, validation and its scheduler, DCAT catalog); :class:`ProductViolationsExtension`
reports violations in GraphQL responses. See docs/data-products.md.

The names are imported on first use: the stream processors read the products' descriptor checks,
naming and errors (``graph_service.products.errors`` …), and importing this package must not load
the GraphQL stack into them (strawberry and the schema cost a processor ~70 MB).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_service.products.errors import (
        ParameterError,
        ProductDefinitionError,
        ProductError,
        ProductRefused,
        UnknownProduct,
    )
    from graph_service.products.extension import ProductViolationsExtension
    from graph_service.products.registry import DataProduct, ProductRegistry
    from graph_service.products.service import DataProducts, ProductPaths, build_data_products
    from graph_service.products.validation import ValidationResult, Violation

_HOMES = {
    "DataProduct": "registry",
    "DataProducts": "service",
    "ParameterError": "errors",
    "ProductDefinitionError": "errors",
    "ProductError": "errors",
    "ProductPaths": "service",
    "ProductRefused": "errors",
    "ProductRegistry": "registry",
    "ProductViolationsExtension": "extension",
    "UnknownProduct": "errors",
    "ValidationResult": "validation",
    "Violation": "validation",
    "build_data_products": "service",
}

__all__ = [
    "DataProduct",
    "DataProducts",
    "ParameterError",
    "ProductDefinitionError",
    "ProductError",
    "ProductPaths",
    "ProductRefused",
    "ProductRegistry",
    "ProductViolationsExtension",
    "UnknownProduct",
    "ValidationResult",
    "Violation",
    "build_data_products",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
