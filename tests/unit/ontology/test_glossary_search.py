"""The glossary's search over every term, each class's neighbour diagram and its GraphQL section."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from graph_service.api.class_queries import class_queries
from graph_service.ontology import DomainModel, compile_ontology, render_docs

from .conftest import GOOD

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def model() -> DomainModel:
    compiled = compile_ontology(GOOD).model
    assert compiled is not None
    return compiled


@pytest.fixture(scope="module")
def pages(model: DomainModel) -> dict[str, str]:
    return render_docs(model, queries=class_queries(model), graphiql="/graphql")


def _tree(html: str) -> ET.Element:
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>\n"))


def _index(html: str) -> list[list[str]]:
    found = re.search(r'<script type="application/json" id="glossary-index">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_every_page_searches_every_term_and_each_hit_links_to_its_entry(
    model: DomainModel, pages: dict[str, str]
) -> None:
    anchors = {(name, e.get("id")) for name, html in pages.items() for e in _tree(html).iter() if e.get("id")}
    for html in pages.values():
        rows = _index(html)
        assert {row[0] for row in rows} == {t.name for t in model.terms()}
        for name, _kind, _labels, _context, _definition, href in rows:
            page, _, anchor = href.partition("#")
            assert (page, anchor) in anchors, (name, href)


def test_search_text_that_would_break_the_page_is_escaped(pages: dict[str, str]) -> None:
    for html in pages.values():
        text = re.search(r'id="glossary-index">(.*?)</script>', html, re.S)
        assert text is not None and "<" not in text.group(1) and "&" not in text.group(1)


def test_each_class_has_a_diagram_of_its_neighbours(model: DomainModel, pages: dict[str, str]) -> None:
    for html in pages.values():
        ids = Counter(e.get("id") for e in _tree(html).iter() if e.get("id"))
        assert not [i for i, n in ids.items() if n > 1], "ids must be unique on a page"
    for cls in model.classes.values():
        page = next(html for html in pages.values() if f'<section id="{cls.name}"' in html)
        section = next(e for e in _tree(page).iter() if e.get("id") == cls.name)
        svg = next(e for e in section.iter(SVG + "svg") if "class-diagram" in (e.get("class") or ""))
        titles = {t.text for t in svg.iter(SVG + "title")}
        neighbours = {r.range for r in model.relations_from(cls.name)} | {
            r.domain for r in model.relations_to(cls.name)
        }
        shown = {n for n in neighbours if n not in ("Entity", "DomainEvent")}
        assert cls.name in titles and shown <= titles, (cls.name, shown - titles)


def test_each_class_names_its_graphql_fields_and_links_its_example_to_graphiql(
    model: DomainModel, pages: dict[str, str]
) -> None:
    queries = class_queries(model)
    for cls in model.classes.values():
        page = next(html for html in pages.values() if f'<section id="{cls.name}"' in html)
        section = page[page.index(f'<section id="{cls.name}"') :].split("</section>", 1)[0]
        assert queries[cls.name].list_field + "(first, after, where, orderBy)" in section
        assert 'href="/graphql#query=' in section
    assert "Run in GraphiQL" not in "".join(render_docs(model, queries=queries).values())  # not served
