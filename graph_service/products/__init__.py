"""Data products: versioned, owned, SHACL-validated views over the graph, served over GraphQL.

Public API: :func:`build_data_products` builds a :class:`DataProducts` (GraphQL query type,
FastAPI router, validation and its scheduler, DCAT catalog); :class:`ProductViolationsExtension`
reports violations in GraphQL responses. See docs/data-products.md.
"""

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
