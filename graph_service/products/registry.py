"""All data products and their versions, read from product folders and checked against the model.

Layout: ``<queries dir>/<name>/v<major>/`` holds ``product.yaml`` (the descriptor),
``query.cypher`` and, optionally, ``validation.cypher`` (a query returning sample parameter sets
to validate the product with). The output shape is looked up by IRI in the shape directories.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_service.ontology.model import DomainModel
from graph_service.products import naming
from graph_service.products.computations import COMPUTATIONS, Computation
from graph_service.products.cypher_check import check_query, parameters_used
from graph_service.products.descriptor import Descriptor, load_descriptor
from graph_service.products.errors import Problem, ProductDefinitionError, UnknownProduct
from graph_service.products.model_values import model_values_for
from graph_service.products.shape import OutputShape, ShapeLibrary

DESCRIPTOR_FILE = "product.yaml"
QUERY_FILE = "query.cypher"
VALIDATION_QUERY_FILE = "validation.cypher"
#: Root field names the product layer uses itself.
RESERVED_FIELDS = frozenset({"dataProducts"})


@dataclass(frozen=True)
class DataProduct:
    """One major version of a data product: descriptor, query, output shape."""

    descriptor: Descriptor
    query: str
    shape: OutputShape
    folder: Path
    validation_query: str | None = None
    #: Values from the ontology the query reads (``$ontologyObjectTypes`` …), bound with the parameters.
    model_values: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False, compare=False)
    #: The Python step after the query (``computation:`` in the descriptor); None: plain Cypher.
    computation: Computation | None = dataclasses.field(default=None, hash=False, compare=False)

    @property
    def name(self) -> str:
        return self.descriptor.name

    @property
    def version(self) -> str:
        return self.descriptor.version

    @property
    def key(self) -> str:
        return self.descriptor.key

    @property
    def field_name(self) -> str:
        """The versioned GraphQL field: ``orderFulfillmentV2``."""
        return naming.versioned_field(self.name, self.version)


class ProductRegistry:
    """Every registered product version, sorted by name and major version."""

    def __init__(self, products: Iterable[DataProduct]) -> None:
        self.products = tuple(sorted(products, key=lambda p: (p.name, p.descriptor.major)))

    @classmethod
    def load(
        cls, queries_dirs: Sequence[Path], shapes_dirs: Sequence[Path], model: DomainModel
    ) -> ProductRegistry:
        """Read and check every product folder; one :class:`ProductDefinitionError` lists all problems."""
        problems: list[Problem] = []
        shapes = ShapeLibrary.load(shapes_dirs)
        problems += shapes.problems
        products: dict[tuple[str, int], DataProduct] = {}
        for folder in version_folders(queries_dirs, problems):
            product = _load_product(folder, shapes, model, problems)
            if product is None:
                continue
            key = (product.name, product.descriptor.major)
            if key in products:
                problems.append(
                    Problem(
                        folder / DESCRIPTOR_FILE,
                        None,
                        f"{product.key} is also defined in {products[key].folder}",
                    )
                )
                continue
            products[key] = product
        problems += _field_name_clashes(list(products.values()))
        if problems:
            raise ProductDefinitionError(problems)
        return cls(products.values())

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({p.name for p in self.products}))

    def versions(self, name: str) -> tuple[DataProduct, ...]:
        found = tuple(p for p in self.products if p.name == name)
        if not found:
            raise UnknownProduct(name, None, self.names())
        return found

    def get(self, name: str, version: str) -> DataProduct:
        """``version`` as ``v2``, ``2`` or ``2.0.0`` (the major version decides)."""
        text = version.removeprefix("v").removeprefix("V")
        major = text.split(".", 1)[0]
        for product in self.versions(name):
            if str(product.descriptor.major) == major and (text == major or text == product.version):
                return product
        raise UnknownProduct(name, version, [p.key for p in self.versions(name)])

    def latest(self, name: str) -> DataProduct:
        """The highest active major version; the highest of all when every version is deprecated."""
        versions = self.versions(name)
        active = [p for p in versions if not p.descriptor.deprecated]
        return (active or list(versions))[-1]

    def __iter__(self) -> Iterator[DataProduct]:
        return iter(self.products)

    def __len__(self) -> int:
        return len(self.products)


def declared_access_roles(queries_dirs: Sequence[Path]) -> frozenset[str]:
    """Every access role the readable descriptors under ``queries_dirs`` name, without loading
    the products (which needs the model); a broken descriptor is reported by :meth:`ProductRegistry.load`."""
    roles: set[str] = set()
    for folder in version_folders(queries_dirs, []):
        try:
            roles.update(load_descriptor(folder / DESCRIPTOR_FILE).access_roles)
        except ProductDefinitionError:
            continue
    return frozenset(roles)


def version_folders(
    dirs: Sequence[Path],
    problems: list[Problem],
    *,
    descriptor_file: str = DESCRIPTOR_FILE,
    kind: str = "product",
    required: bool = True,
) -> list[Path]:
    """The ``<name>/v<major>/`` folders holding a ``descriptor_file`` under ``dirs``, sorted; what
    is misnamed or missing is added to ``problems``. Shared by the data products and the streams
    (``kind`` names them in the messages; ``required``: a missing directory is a problem)."""
    folders: list[Path] = []
    for root in dirs:
        if not root.is_dir():
            if required:
                problems.append(Problem(root, None, f"the data {kind} directory does not exist"))
            continue
        for named in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            versions = sorted(p for p in named.iterdir() if p.is_dir() and not p.name.startswith("."))
            if not versions:
                problems.append(Problem(named, None, f"a {kind} folder needs at least one v<major> folder"))
            for folder in versions:
                if naming.folder_major(folder.name) is None:
                    problems.append(Problem(folder, None, "version folders are named v1, v2, …"))
                elif not (folder / descriptor_file).is_file():
                    problems.append(Problem(folder, None, f"missing {descriptor_file}"))
                else:
                    folders.append(folder)
    return folders


def _load_product(
    folder: Path, shapes: ShapeLibrary, model: DomainModel, problems: list[Problem]
) -> DataProduct | None:
    try:
        descriptor = load_descriptor(folder / DESCRIPTOR_FILE)
    except ProductDefinitionError as exc:
        problems += exc.problems
        return None
    before = len(problems)
    if descriptor.domain not in model.bounded_contexts():
        problems.append(
            Problem(
                descriptor.file,
                None,
                f"domain {descriptor.domain!r} is not a bounded context of the ontology; "
                f"use one of {', '.join(model.bounded_contexts())}",
            )
        )
    query_file = folder / QUERY_FILE
    if not query_file.is_file():
        problems.append(Problem(query_file, None, "missing: the product's Cypher query"))
        return None
    query = query_file.read_text(encoding="utf-8")
    problems += check_query(query, query_file, descriptor, model)
    validation_file = folder / VALIDATION_QUERY_FILE
    validation_query = None
    if validation_file.is_file():
        validation_query = validation_file.read_text(encoding="utf-8")
        problems += check_query(validation_query, validation_file, descriptor, model, validation_query=True)
    elif any(p.required for p in descriptor.parameters):
        problems.append(
            Problem(
                descriptor.file,
                None,
                f"{descriptor.key} has required parameters, so its validation needs sample values: add "
                f"{VALIDATION_QUERY_FILE} returning one row of parameters per sample",
            )
        )
    computation = None
    if descriptor.computation is not None:
        computation = COMPUTATIONS.get(descriptor.computation)
        if computation is None:
            problems.append(
                Problem(
                    descriptor.file,
                    None,
                    f"computation {descriptor.computation!r} is not one of {', '.join(sorted(COMPUTATIONS))} "
                    "(graph_service/products/computations)",
                )
            )
    shape = shapes.output_shape(descriptor.output_shape, problems, descriptor.file)
    if shape is None or len(problems) > before:
        return None
    model_values = model_values_for(parameters_used(query), model)
    return DataProduct(descriptor, query, shape, folder, validation_query, model_values, computation)


def _field_name_clashes(products: list[DataProduct]) -> list[Problem]:
    """Every product gets ``name`` and ``nameV<major>`` root fields; no two may coincide."""
    owners: dict[str, DataProduct] = {}
    problems = []
    for product in products:
        for field in {product.name, product.field_name}:
            other = owners.get(field)
            if field in RESERVED_FIELDS or (other is not None and other.name != product.name):
                clash = "a reserved field" if other is None else f"a field of {other.key}"
                problems.append(Problem(product.descriptor.file, None, f"GraphQL field {field!r} is {clash}"))
            owners.setdefault(field, product)
    return problems
