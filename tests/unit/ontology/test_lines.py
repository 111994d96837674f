"""Line numbers of terms in Turtle text (rdflib does not keep them)."""

from __future__ import annotations

from graph_service.ontology.lines import index_turtle

DS = "https://w3id.org/digispine/ontology#"

TEXT = '''\
@prefix : <https://w3id.org/digispine/ontology#> .
PREFIX owl: <http://www.w3.org/2002/07/owl#>
# :Commented a owl:Class .
:Lot a owl:Class ;
    :note """a long
    string . :NotASubject a owl:Class .
    """ ;
    :weight 1.5 ;
    :key ( :lotNumber ) .
[] a :Anonymous .
:Batch a owl:Class.
<https://w3id.org/digispine/ontology#Crate>
    a owl:Class .
:Lot :extra "said again later" .
'''


def test_subjects_are_indexed_at_the_line_their_statement_starts() -> None:
    index = index_turtle(TEXT)
    assert index.subjects[DS + "Lot"] == 4
    assert index.subjects[DS + "Batch"] == 11
    assert index.subjects[DS + "Crate"] == 12


def test_strings_comments_and_blank_nodes_are_not_subjects() -> None:
    index = index_turtle(TEXT)
    assert DS + "NotASubject" not in index.mentions
    assert DS + "Commented" not in index.mentions
    assert DS + "Anonymous" not in index.subjects
    assert index.mentions[DS + "Anonymous"] == 10


def test_objects_are_found_as_mentions() -> None:
    index = index_turtle(TEXT)
    assert index.line_of(DS + "lotNumber") == 9
    assert index.line_of(DS + "Lot") == 4


def test_relative_iris_resolve_against_base() -> None:
    index = index_turtle("@base <https://w3id.org/digispine/ontology> .\n<#Lot> a <#Thing> .\n")
    assert index.subjects[DS + "Lot"] == 2
