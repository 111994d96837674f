"""SHACL core constraint components, one module per family as in the SHACL specification.

Each module has ``PARAMETERS`` (the predicates it enforces) and ``compile(ctx)``, which takes its
parameters from the shape being compiled and adds checks, or refuses the shape.
"""

from loaders.shacl.components import (
    cardinality,
    logical,
    other,
    pairs,
    ranges,
    shape_based,
    strings,
    value_type,
)

FAMILIES = (cardinality, value_type, ranges, strings, pairs, logical, shape_based, other)
