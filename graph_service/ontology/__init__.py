"""The ontology compiler and the DomainModel it produces, plus check, diff and docs tooling.

Importing this package is cheap: pySHACL and owlready2 load only when ``check`` runs them.
"""

from graph_service.ontology.check import CheckReport, check_ontology
from graph_service.ontology.compiler import CompileResult, compile_ontology, load_model
from graph_service.ontology.diff import Change, ModelDiff, diff_models
from graph_service.ontology.docs import render_docs, write_docs
from graph_service.ontology.errors import OntologyError, UnknownTermError
from graph_service.ontology.model import (
    ENTITY_ROOT,
    EVENT_ROOT,
    ClassDef,
    DatatypeProperty,
    DomainModel,
    ModuleInfo,
    Relation,
    SourceLocation,
)
from graph_service.ontology.problems import Problem

__all__ = [
    "ENTITY_ROOT",
    "EVENT_ROOT",
    "Change",
    "CheckReport",
    "ClassDef",
    "CompileResult",
    "DatatypeProperty",
    "DomainModel",
    "ModelDiff",
    "ModuleInfo",
    "OntologyError",
    "Problem",
    "Relation",
    "SourceLocation",
    "UnknownTermError",
    "check_ontology",
    "compile_ontology",
    "diff_models",
    "load_model",
    "render_docs",
    "write_docs",
]
