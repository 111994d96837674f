"""Errors of the SPARQL endpoint that a caller can act on; each says which limit or rule applies."""

from __future__ import annotations

from graph_service.errors import DigiSpineError


class SparqlRefused(DigiSpineError):
    """The query is not run; ``status`` is the HTTP status the endpoint answers with."""

    status = 400


class FederatedQueryRefused(SparqlRefused):
    """A SERVICE clause names an endpoint that is not on the allow-list (or none at all)."""

    status = 403


class QueryTimedOut(SparqlRefused):
    """The query ran past the time limit; its worker process was killed."""

    status = 504


class ResultTooLarge(SparqlRefused):
    """The serialized answer passed the size limit; its worker process was killed."""

    status = 413


class EndpointBusy(SparqlRefused):
    """Every query slot stayed taken for the whole time limit."""

    status = 503


class QueryFailed(SparqlRefused):
    """The query was valid but its evaluation failed (or its worker died); says why."""

    status = 400
