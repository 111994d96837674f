"""docs: a static, self-contained HTML glossary of every class with English and German labels."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graph_service.ontology import DomainModel, compile_ontology, render_docs, write_docs

from .conftest import GOOD, append, klass

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def model() -> DomainModel:
    compiled = compile_ontology(GOOD).model
    assert compiled is not None
    return compiled


@pytest.fixture(scope="module")
def pages(model: DomainModel) -> dict[str, str]:
    return render_docs(model)


def _tree(html: str) -> ET.Element:
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>\n"))


def test_there_is_an_index_and_one_page_per_bounded_context(pages: dict[str, str]) -> None:
    assert sorted(pages) == [
        "context-core.html",
        "context-events.html",
        "context-production.html",
        "index.html",
    ]


def test_every_page_is_well_formed(pages: dict[str, str]) -> None:
    for name, html in pages.items():
        assert html.startswith("<!DOCTYPE html>"), name
        _tree(html)  # strict XML parse of the polyglot XHTML
        _TagBalance().check(html)


def test_every_class_is_rendered_with_its_german_label(model: DomainModel, pages: dict[str, str]) -> None:
    for cls in model.classes.values():
        page = _tree(pages[f"context-{cls.bounded_context}.html"])
        section = page.find(f".//{XHTML}section[@id='{cls.name}']")
        assert section is not None, cls.name
        text = "".join(section.itertext())
        assert cls.labels["de"] in text and cls.labels["en"] in text


def test_a_class_entry_shows_key_properties_relations_and_alignments(
    pages: dict[str, str],
) -> None:
    page = _tree(pages["context-production.html"])
    lot = page.find(f".//{XHTML}section[@id='Lot']")
    assert lot is not None
    text = " ".join(lot.itertext())
    for fragment in ("lotNumber", "xsd:decimal", "Decimal", "producedFrom", "Batch (en)"):
        assert fragment in text
    equipment = page.find(f".//{XHTML}section[@id='Equipment']")
    assert equipment is not None
    links = [a.get("href") for a in equipment.iter(f"{XHTML}a")]
    assert "https://w3id.org/isa95/Equipment" in links
    assert "context-production.html#WorkCenter" in links  # subclass


def test_personal_data_is_marked(pages: dict[str, str]) -> None:
    row = re.search(r'<tr id="prop-email">.*?</tr>', pages["context-core.html"])
    assert row is not None and "personal data" in row.group(0)


def test_events_list_what_they_affect(pages: dict[str, str]) -> None:
    page = _tree(pages["context-events.html"])
    event = page.find(f".//{XHTML}section[@id='LotProduced']")
    assert event is not None
    hrefs = {a.get("href") for a in event.iter(f"{XHTML}a")}
    assert {"context-production.html#Lot", "context-production.html#WorkCenter"} <= hrefs


def test_every_internal_link_points_at_an_existing_anchor(pages: dict[str, str]) -> None:
    anchors = {
        (name, element.get("id"))
        for name, html in pages.items()
        for element in _tree(html).iter()
        if element.get("id")
    }
    for name, html in pages.items():
        for href in re.findall(r'href="([^"]+)"', html):
            if href.startswith("http"):
                continue
            page, _, anchor = href.partition("#")
            assert page in pages, href
            if anchor:
                assert (page, anchor) in anchors, (name, href)


def test_pages_load_nothing_from_the_network(pages: dict[str, str]) -> None:
    for html in pages.values():
        assert "<link" not in html
        assert not re.search(r"<(script|img|iframe)[^>]+src=", html)
        assert "<script>" in html and 'id="search"' in html


def test_each_context_page_has_a_diagram_with_a_box_per_class(
    model: DomainModel, pages: dict[str, str]
) -> None:
    svg = re.search(r"<svg.*?</svg>", pages["context-production.html"], re.DOTALL)
    assert svg is not None
    ET.fromstring(svg.group(0))
    own = [c.name for c in model.classes.values() if c.bounded_context == "production"]
    titles = re.findall(r"<g><title>([^<]+)</title><rect", svg.group(0))
    assert set(own) <= set(titles)
    assert "producedFrom *" in svg.group(0)  # relation label, to-many


def test_text_from_the_ontology_is_escaped(onto: Path) -> None:
    append(onto, "production", klass("Gadget", parent="Equipment", en="<b>'A & B'</b>"))
    compiled = compile_ontology(onto).model
    assert compiled is not None
    html = render_docs(compiled)["context-production.html"]
    assert "<b>" not in html and "&lt;b&gt;&#x27;A &amp; B&#x27;&lt;/b&gt;" in html
    _tree(html)


def test_output_is_stable(model: DomainModel) -> None:
    assert render_docs(model) == render_docs(model)


def test_write_docs_writes_every_page(model: DomainModel, tmp_path: Path) -> None:
    written = write_docs(model, tmp_path / "site")
    assert sorted(p.name for p in written) == sorted(render_docs(model))
    assert all(p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") for p in written)


class _TagBalance(HTMLParser):
    """Checks with the standard HTML parser that every element opened is closed in order."""

    VOID = {"meta", "input", "br", "img", "rect", "path", "polyline", "line"}

    def check(self, html: str) -> None:
        self.stack: list[str] = []
        self.feed(html)
        self.close()
        assert self.stack == []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
