"""The data product service: registry, runner, validation, GraphQL type, routes, scheduler in one object.

Built once in the composition root (the FastAPI lifespan, a CLI command) by
:func:`build_data_products`; the API merges ``query_type`` into its root query, includes
``router``, adds :class:`ProductViolationsExtension` to its schema and starts the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from graph_service.ontology.model import DomainModel
from graph_service.products.catalog import catalog_graph, catalog_jsonld
from graph_service.products.extension import ProductViolationsExtension
from graph_service.products.graphql import build_query_type
from graph_service.products.registry import DataProduct, ProductRegistry
from graph_service.products.routes import make_products_router
from graph_service.products.runner import ProductRunner, Row
from graph_service.products.scheduler import ValidationScheduler
from graph_service.products.validation import ProductValidator, ValidationResult, ValidationResults
from graph_service.settings import Settings
from graph_service.store import LoopReader, Neo4jStore

if TYPE_CHECKING:  # the stream modules import this package: only the name here
    from graph_service.streams.catalog import StreamCatalog

#: Where product folders live when nothing else is said (relative, like the ontology dir).
DEFAULT_QUERIES_DIR = Path("queries")


@dataclass(frozen=True)
class ProductPaths:
    """Directories of product folders and of their output shapes."""

    queries_dirs: tuple[Path, ...]
    shapes_dirs: tuple[Path, ...]

    @classmethod
    def from_settings(cls, settings: Settings, queries_dir: Path = DEFAULT_QUERIES_DIR) -> ProductPaths:
        return cls((queries_dir,), (settings.shapes_dir / "products",))


class DataProducts:
    """Everything about the data products that the API and the CLI use."""

    extension = ProductViolationsExtension

    def __init__(
        self,
        registry: ProductRegistry,
        store: Neo4jStore,
        model: DomainModel,
        *,
        graphql_path: str = "/graphql",
        public_base_url: str | None = None,
        timeout_s: float | None = None,
        streams: StreamCatalog | None = None,
    ) -> None:
        self.registry = registry
        #: The declared streams, listed in the catalog as real-time data products (None: none).
        self.streams = streams
        self.model = model
        self.runner = ProductRunner(store, timeout_s, registry)
        self.results = ValidationResults()
        self.validator = ProductValidator(self.runner, self.results)
        self.graphql_path = graphql_path
        self.public_base_url = public_base_url
        self._scheduler: ValidationScheduler | None = None

    # -- serving ----------------------------------------------------------------------------------

    @cached_property
    def query_type(self) -> type:
        """The strawberry type to merge into the root query (``DataProductsQuery``)."""
        return build_query_type(self)

    @cached_property
    def router(self) -> APIRouter:
        """``/catalog.jsonld`` and the validation endpoints."""
        return make_products_router(self)

    @property
    def timeout_s(self) -> float | None:
        """Seconds after which Neo4j stops a product query (None: no limit)."""
        return self.runner.timeout_s

    def run(self, product: DataProduct, values: Mapping[str, Any] | None = None) -> list[Row]:
        """The rows of ``product`` for ``values`` (checked and typed; defaults filled in)."""
        return self.runner.run(product, values)

    async def run_async(self, product: DataProduct, values: Mapping[str, Any] | None = None) -> list[Row]:
        """:meth:`run` for the event loop (the GraphQL resolvers)."""
        return await self.runner.run_async(product, values)

    def use_async(self, reader: LoopReader | None) -> None:
        """Serve product fields through ``reader`` on its event loop (the API's lifespan's)."""
        self.runner.use_async(reader)

    def query(self, name: str, version: str | None = None, **values: Any) -> list[Row]:
        """Convenience for scripts and tests: ``products.query("equipmentOEE", asOf=…)``."""
        product = self.registry.get(name, version) if version else self.registry.latest(name)
        return self.run(product, values)

    # -- trust ------------------------------------------------------------------------------------

    def latest_result(self, product: DataProduct) -> ValidationResult | None:
        return self.results.get(product)

    def validate_product(self, product: DataProduct) -> ValidationResult:
        return self.validator.validate(product)

    def validate(self, name: str, version: str | None = None) -> ValidationResult:
        product = self.registry.get(name, version) if version else self.registry.latest(name)
        return self.validate_product(product)

    def validate_all(self) -> list[ValidationResult]:
        """Validate every product version (blocking: call from a worker thread in async code)."""
        return [self.validator.validate(product) for product in self.registry]

    def start_scheduler(self, interval_s: float) -> None:
        """Validate everything now and every ``interval_s`` seconds, in the running event loop."""
        if self._scheduler is None or self._scheduler.interval_s != interval_s:
            self._scheduler = ValidationScheduler(self.validate_all, interval_s)
        self._scheduler.start()

    async def stop_scheduler(self) -> None:
        if self._scheduler is not None:
            await self._scheduler.stop()

    # -- catalog ----------------------------------------------------------------------------------

    def catalog(self, base_url: str) -> dict[str, Any]:
        """The DCAT 3 catalog as JSON-LD, with resource IRIs under ``base_url``."""
        themes = {module.name: module.iri for module in self.model.modules}
        graph = catalog_graph(
            self.registry,
            self.latest_result,
            base_url=base_url,
            graphql_path=self.graphql_path,
            themes=themes,
        )
        if self.streams is not None and len(self.streams.registry):
            from graph_service.streams.dcat import add_streams

            add_streams(graph, self.streams, self.streams.freshness_all(), base_url=base_url, themes=themes)
        return catalog_jsonld(graph)


def build_data_products(
    paths: Settings | ProductPaths,
    model: DomainModel,
    store: Neo4jStore,
    *,
    graphql_path: str = "/graphql",
    public_base_url: str | None = None,
    timeout_s: float | None = None,
    streams: StreamCatalog | None = None,
) -> DataProducts:
    """Load and check every product (a :class:`ProductDefinitionError` lists all problems) and
    wire the service. ``paths``: the settings (``queries/`` and ``<shapes dir>/products``; then
    product queries stop after ``DIGISPINE_GRAPHQL_TIMEOUT_S`` unless ``timeout_s`` is given) or
    explicit :class:`ProductPaths`. ``streams``: the declared streams, to list in the catalog too."""
    if isinstance(paths, Settings):
        timeout_s = timeout_s or paths.graphql_timeout_s
        paths = ProductPaths.from_settings(paths)
    registry = ProductRegistry.load(paths.queries_dirs, paths.shapes_dirs, model)
    return DataProducts(
        registry,
        store,
        model,
        graphql_path=graphql_path,
        public_base_url=public_base_url,
        timeout_s=timeout_s,
        streams=streams,
    )
