"""Logical consistency with an OWL reasoner (HermiT, through owlready2; needs ``java``).

Runs only in ``digispine ontology check`` — never on ingest or query paths. The ontology graph is
written to N-Triples in a temporary directory and loaded into a fresh owlready2 World, so nothing
is shared with other callers.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import owlready2
from rdflib import Graph, URIRef

from graph_service.ontology.namespaces import DS_MODULE_BASE, OWL, RDF, RDFS, XSD, curie
from graph_service.ontology.problems import ERROR, Problem
from graph_service.ontology.reporting import Locate

_NOTHING = str(OWL.Nothing)
#: HermiT runs for a few seconds: the client compiler only (no C2) and a serial collector halve
#: the JVM's CPU time and its threads (bench/ontology_check.py), and change nothing it finds.
HERMIT_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"
#: XSD datatypes of the OWL 2 datatype map that the conventions allow. HermiT refuses others
#: (xsd:date, xsd:duration), so the reasoner's copy widens those ranges to rdfs:Literal — data
#: ranges do not decide class satisfiability in an ontology without data restrictions.
_OWL2_DATATYPES = frozenset(
    str(XSD[name]) for name in ("string", "integer", "decimal", "double", "boolean", "dateTime", "anyURI")
)


@dataclass(frozen=True)
class Reasoning:
    """What the reasoner found: inconsistency, or the unsatisfiable classes (as IRIs)."""

    consistent: bool
    unsatisfiable: tuple[str, ...]
    explanation: str = ""


def reason(ontology: Graph) -> Reasoning:
    """Classify ``ontology`` once with HermiT."""
    graph = _reasoner_copy(ontology)
    # owlready2 wants an ontology node; the modules' own headers are kept as they are.
    graph.add((URIRef(DS_MODULE_BASE + "check"), RDF.type, OWL.Ontology))
    with tempfile.TemporaryDirectory(prefix="digispine-reason-") as temp:
        path = Path(temp) / "ontology.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        try:
            world.get_ontology(path.as_uri()).load(format="ntriples")
            try:
                with _jvm_options(HERMIT_JVM_OPTIONS):
                    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
            except owlready2.OwlReadyInconsistentOntologyError as exc:
                return Reasoning(False, (), str(exc).strip())
            found = sorted(c.iri for c in world.inconsistent_classes() if c.iri != _NOTHING)
            return Reasoning(True, tuple(found))
        finally:
            world.close()


@contextmanager
def _jvm_options(options: str) -> Iterator[None]:
    """Run owlready2's ``java`` with ``options`` added (JAVA_TOOL_OPTIONS, which every JVM reads).
    owlready2 builds the command itself; its subprocess keyword arguments are the one way in."""
    kargs = getattr(owlready2.reasoning, "_subprocess_kargs", None)
    if not isinstance(kargs, dict):  # another owlready2: run as it does
        yield
        return
    saved = kargs.get("env")
    # the child's environment (PATH, JAVA_HOME, ...) with the options added; not a setting
    inherited = dict(os.environ)
    inherited["JAVA_TOOL_OPTIONS"] = f"{inherited.get('JAVA_TOOL_OPTIONS', '')} {options}".strip()
    kargs["env"] = inherited
    try:
        yield
    finally:
        if saved is None:
            kargs.pop("env", None)
        else:
            kargs["env"] = saved


def _reasoner_copy(ontology: Graph) -> Graph:
    """All modules are already in the graph: owl:imports would make owlready2 fetch them."""
    graph = Graph()
    for subject, predicate, obj in ontology:
        if predicate == OWL.imports:
            continue
        is_xsd = str(obj).startswith(str(XSD))
        if predicate == RDFS.range and is_xsd and str(obj) not in _OWL2_DATATYPES:
            obj = RDFS.Literal
        graph.add((subject, predicate, obj))
    return graph


def reasoning_problems(ontology: Graph, locate: Locate) -> tuple[Problem, ...]:
    """``inconsistent`` / ``unsatisfiable`` problems; ``reasoner-failed`` when it cannot run."""
    try:
        found = reason(ontology)
    except FileNotFoundError:
        return (_failed("`java` was not found; install Java 11+ or run check with --no-reason"),)
    except (OSError, subprocess.CalledProcessError, owlready2.OwlReadyError) as exc:
        return (_failed(f"{_first_lines(str(exc))}; run check with --no-reason to skip it"),)
    if not found.consistent:
        return (
            Problem(
                severity=ERROR,
                code="inconsistent",
                message="the ontology is logically inconsistent (no interpretation satisfies all "
                "axioms); look for individuals or axioms contradicting owl:disjointWith, "
                "owl:FunctionalProperty or restrictions",
            ),
        )
    problems = []
    for iri in found.unsatisfiable:
        where = locate(iri)
        problems.append(
            Problem(
                severity=ERROR,
                code="unsatisfiable",
                term=curie(iri),
                message=f"can have no members (it is equivalent to owl:Nothing); {_why(ontology, iri)}",
                file=where.file if where else None,
                line=where.line if where else None,
            )
        )
    return tuple(problems)


def _failed(detail: str) -> Problem:
    return Problem(
        severity=ERROR, code="reasoner-failed", message=f"the OWL reasoner (HermiT) failed: {detail}"
    )


def _first_lines(text: str) -> str:
    """The Java exception line(s) without the stack trace."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("at ")]
    return " ".join(useful[:4])[:600]


def _why(ontology: Graph, iri: str) -> str:
    """Name the disjoint superclasses when that is the cause (the common one)."""
    lineage = set(ontology.transitive_objects(URIRef(iri), RDFS.subClassOf))
    for first in sorted(lineage, key=str):
        for second in sorted(ontology.objects(first, OWL.disjointWith), key=str):
            if second in lineage:
                return (
                    f"it is a subclass of both {curie(str(first))} and {curie(str(second))}, "
                    "which are declared owl:disjointWith; remove one superclass or the disjointness"
                )
    return "check its superclasses for owl:disjointWith and its restrictions"
