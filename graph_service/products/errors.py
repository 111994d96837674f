"""Errors of the data product layer: what was wrong, in which file, and what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graph_service.errors import DigiSpineError


class ProductError(DigiSpineError):
    """Base of every data product error."""


@dataclass(frozen=True)
class Problem:
    """One problem in a product's files: where (file, 1-based line when known) and what."""

    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


class ProductDefinitionError(ProductError):
    """A product folder (descriptor, query or shape) is wrong. Carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the data product definitions; "
            f"fix them and restart:\n{lines}"
        )


class UnknownProduct(ProductError, KeyError):
    """No product (or no such version of it) is registered."""

    def __init__(self, name: str, version: str | None, known: Sequence[str]) -> None:
        self.name = name
        self.version = version
        what = f"{name} {version}" if version else name
        super().__init__(f"no data product {what!r}; known products: {', '.join(known) or 'none'}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ParameterError(ProductError, ValueError):
    """A product was called with a missing, unknown or mistyped parameter."""

    def __init__(self, product: str, message: str) -> None:
        self.product = product
        super().__init__(f"data product {product}: {message}")


class ProductRefused(ProductError):
    """A product with ``onViolation: refuse`` whose latest validation found violations."""

    def __init__(self, product: str, version: str, violation_count: int, checked_at: str) -> None:
        self.product = product
        self.version = version
        self.violation_count = violation_count
        super().__init__(
            f"data product {product} {version} is withheld: its latest validation ({checked_at}) found "
            f"{violation_count} violation{'s' if violation_count != 1 else ''} of its output shape; "
            "see dataProducts { validation } for the details, or ask its owner"
        )


class ProductRefusedToStep(ProductError):
    """A computed product's step asked for a product that some of its own readers may not read."""

    def __init__(self, caller: str, product: str, roles: list[str]) -> None:
        self.caller = caller
        self.product = product
        super().__init__(
            f"data product {caller} may not read {product}: its access roles {', '.join(roles)} may not "
            f"read {product}; give {caller} only roles that may read every product it reads"
        )
