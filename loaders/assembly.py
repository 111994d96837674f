"""Builds a ready pipeline from settings: model, mappings, shapes, writer, dead letters.

Used by the composition roots (CLI commands, the demo, tests); it holds no state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from loaders.adapters import Adapter
from loaders.changelog_publisher import ChangePublisher
from loaders.contracts import compiled_validator
from loaders.deadletters import DeadLetterStore
from loaders.errors import ShapeError
from loaders.limits import Limits
from loaders.mapping import Mapper, load_mappings
from loaders.pipeline import Pipeline
from loaders.validation import PayloadValidator
from loaders.writer import GraphWriter

if TYPE_CHECKING:
    from graph_service.observability.loader_metrics import LoaderMetrics

#: The shipped systems' mappings; DIGISPINE_MAPPINGS_DIRS (settings.mappings_dirs) says which are read.
MAPPINGS_DIR = Path(__file__).parent / "mappings"


@dataclass(frozen=True)
class LoaderParts:
    model: DomainModel
    mapper: Mapper
    validator: PayloadValidator
    deadletters: DeadLetterStore
    limits: Limits = Limits()
    #: ``(bootstrap, topic)`` of the graph change log; None: off (DIGISPINE_CHANGE_LOG_TOPIC empty).
    change_log: tuple[str, str] | None = None


def load_parts(settings: Settings, mappings_dir: Path | None = None) -> LoaderParts:
    """Compile everything the loaders need and check it fits together (start-up errors)."""
    model = load_model(settings.ontology_paths)
    mapper = load_mappings(mappings_dir or settings.mappings_dirs, model)
    validator = compiled_validator(settings.shapes_dir / "events", model, mapper)
    missing = sorted(
        {m.event_class for m in mapper.by_type.values() if not validator.has_shape(m.event_class)}
    )
    if missing:
        raise ShapeError(
            f"no payload shape in {settings.shapes_dir / 'events'} for event class(es): {', '.join(missing)}"
        )
    change_log = (
        (settings.kafka_bootstrap_servers, settings.change_log_topic) if settings.change_log_topic else None
    )
    return LoaderParts(
        model, mapper, validator, deadletter_store(settings), Limits.from_settings(settings), change_log
    )


def deadletter_store(settings: Settings) -> DeadLetterStore:
    return DeadLetterStore(settings.data_dir / "deadletters")


def build_pipeline(
    parts: LoaderParts,
    store: Neo4jStore,
    *,
    batch_size: int = 1000,
    publisher: type[ChangePublisher] = ChangePublisher,
    metrics: LoaderMetrics | None = None,
    adapter: Adapter | None = None,
) -> Pipeline:
    """The pipeline of ``parts`` on ``store``; with the change log on, its writer fills the outbox
    and a ``publisher`` sends it. ``metrics``: counts and times each batch. ``adapter``: decodes
    each record of a wire format into CloudEvents first (loaders/adapters)."""
    changes = (
        publisher(store.driver, store.database, *parts.change_log) if parts.change_log is not None else None
    )
    owner = changes.owner if changes is not None else None
    writer = GraphWriter(store.driver, store.database, parts.model, change_log=owner)
    pipeline = Pipeline(
        parts.mapper,
        parts.validator,
        writer,
        parts.deadletters,
        batch_size=batch_size,
        limits=parts.limits,
        changes=changes,
        metrics=metrics,
        adapter=adapter,
    )
    pipeline.warm_up()  # connect time: plans ready by the first write, off the critical path
    return pipeline
