"""An on-disk cache of compiled models, keyed by the ontology's and the compiler's content.

Pickle is used because the model holds Python types; the cache directory is the user's own
(``DIGISPINE_CACHE_DIR``), and an entry that fails to load is simply compiled again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from graph_service.ontology.model import DomainModel
from graph_service.ontology.sources import Directories, content_hash, directories, read_sources

log = logging.getLogger(__name__)


def cache_key(directory: Directories) -> str:
    """Changes when an ontology file, the directories as given, or the compiler's code changes."""
    digest = hashlib.sha256()
    digest.update(content_hash(read_sources(directory)).encode())
    for folder in directories(directory):  # source locations in the model name the directories
        digest.update(str(folder).encode() + b"\0")
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + module.read_bytes())
    return digest.hexdigest()


class ModelCache:
    """One pickle file per key under ``<cache_dir>/ontology/``."""

    def __init__(self, cache_dir: Path) -> None:
        self.directory = cache_dir / "ontology"

    def _path(self, key: str) -> Path:
        return self.directory / f"model-{key}.pickle"

    def get(self, key: str) -> DomainModel | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            model = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError) as exc:
            log.info("ignoring unreadable model cache %s: %s", path, exc)
            return None
        return model if isinstance(model, DomainModel) else None

    def put(self, key: str, model: DomainModel) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self._path(key))
        except OSError:
            Path(temp).unlink(missing_ok=True)
            raise
