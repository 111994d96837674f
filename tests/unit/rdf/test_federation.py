"""SERVICE clauses are found however they are written, and only allow-listed endpoints pass."""

from __future__ import annotations

import pytest

from graph_service.rdf.errors import FederatedQueryRefused
from graph_service.rdf.federation import check_federation, parse_allowlist, service_endpoints

END = "http://127.0.0.1:8890/sparql"


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * WHERE {{ SERVICE <{END}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{END}> {{ ?s ?p ?o }} }}",
        f"select * where {{ sErViCe silent<{END}>{{?s ?p ?o}} }}",
        f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ ?a ?b ?c }}SERVICE<{END}>{{ ?s ?p ?o }} }}",
        # pyoxigraph needs no boundary after a keyword: `trueSERVICE` is `true SERVICE`
        f"SELECT * WHERE {{ ?s ?p trueSERVICE <{END}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p 1e5SERVICE <{END}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{END}> {{ ?a ?b ?c }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{END}> {{ ?a ?b ?c }} }} }} }}",
        f'SELECT * WHERE {{ ?s ?p "a # not a comment" . SERVICE <{END}> {{ ?a ?b ?c }} }}',
        f"SELECT * WHERE {{ ?s ?p ?o }} # a comment ends at the line\nVALUES ?x {{ 1 }} SERVICE <{END}> {{}}",
    ],
)
def test_every_spelling_of_a_service_clause_is_found(query: str) -> None:
    assert service_endpoints(query) == [END]
    with pytest.raises(FederatedQueryRefused, match="DIGISPINE_SPARQL_SERVICE_ALLOWLIST"):
        check_federation(query, frozenset())


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        f"SELECT * WHERE {{ BIND(<{END}> AS ?e) SERVICE SILENT ?e {{ ?s ?p ?o }} }}",
        "PREFIX loc: <http://127.0.0.1:8890/> SELECT * WHERE { SERVICE loc:sparql { ?s ?p ?o } }",
        "BASE <http://127.0.0.1:8890/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
        f"PREFIX ds: <urn:x:> SELECT * WHERE {{ ?s ?p ds:o.SERVICE <{END}> {{ }} }}",
    ],
)
def test_an_endpoint_that_is_not_a_full_iri_is_refused_even_when_allowed(query: str) -> None:
    assert None in service_endpoints(query)
    with pytest.raises(FederatedQueryRefused, match="full IRI"):
        check_federation(query, frozenset({END}))


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:8890/sparql> {}" }',
        "SELECT * WHERE { ?s ?p '''SERVICE\n<http://127.0.0.1:8890/sparql>''' }",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o } # SERVICE <http://x/> {}",
        "PREFIX ds: <urn:x:> SELECT ?service WHERE { ?service ds:SERVICE ?serviceLevel }",
    ],
)
def test_the_word_in_strings_iris_comments_and_names_is_no_service_clause(query: str) -> None:
    assert service_endpoints(query) == []
    check_federation(query, frozenset())


def test_an_allow_listed_endpoint_passes_and_any_other_is_named() -> None:
    allowed = parse_allowlist(f" <{END}>, https://query.wikidata.org/sparql ")
    assert allowed == {END, "https://query.wikidata.org/sparql"}
    check_federation(f"SELECT * WHERE {{ SERVICE <{END}> {{ ?s ?p ?o }} }}", allowed)
    other = "SELECT * WHERE { SERVICE <http://169.254.169.254/latest> { ?s ?p ?o } }"
    with pytest.raises(FederatedQueryRefused, match=r"169\.254\.169\.254"):
        check_federation(other, allowed)
    mixed = f"SELECT * WHERE {{ SERVICE <{END}> {{ ?s ?p ?o }} SERVICE <http://other/> {{ ?a ?b ?c }} }}"
    with pytest.raises(FederatedQueryRefused, match="other"):
        check_federation(mixed, allowed)
