"""Static HTML glossary of the ontology: an index of bounded contexts and terms, one page per context.

``render_docs`` is pure (model → file name → HTML); ``write_docs`` writes the files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from graph_service.ontology.class_diagram import class_diagram
from graph_service.ontology.diagram import context_diagram
from graph_service.ontology.docs_html import esc, global_search, link, page, search_box, search_text, table
from graph_service.ontology.model import ClassDef, DatatypeProperty, DomainModel, Relation

UNASSIGNED = "unassigned"
LEGEND = (
    "Diagram: white boxes are classes of this context, grey boxes linked classes of other "
    "contexts. Solid arrows are relations (* = many), dashed arrows point to the superclass, "
    "dotted arrows to the classes an event affects. Click a box to jump to its entry."
)


@dataclass(frozen=True)
class ClassQueries:
    """How GraphQL reads a class (named by the API layer, which owns the schema's naming rules)."""

    list_field: str
    key_field: str | None
    example: str


@dataclass(frozen=True)
class _Extras:
    queries: Mapping[str, ClassQueries]
    graphiql: str | None  # where "Run in GraphiQL" links point, when the glossary is served


def render_docs(
    model: DomainModel,
    *,
    queries: Mapping[str, ClassQueries] | None = None,
    graphiql: str | None = None,
) -> dict[str, str]:
    """Every page of the glossary, keyed by file name; stable output for a given model.
    ``queries``: each class's GraphQL fields and example; ``graphiql``: the GraphiQL page's
    address, to link each example to (only when the glossary is served beside the API)."""
    extras = _Extras(queries or {}, graphiql)
    index = _search_index(model)
    pages = {"index.html": _index(model, index)}
    for context in _contexts(model):
        pages[_page_name(context)] = _context_page(model, context, extras, index)
    return pages


def write_docs(
    model: DomainModel, out: Path, *, queries: Mapping[str, ClassQueries] | None = None
) -> tuple[Path, ...]:
    """Write the glossary into ``out`` (created if needed); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, html in sorted(render_docs(model, queries=queries).items()):
        path = out / name
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return tuple(written)


# -- addresses ----------------------------------------------------------------------------------


def _contexts(model: DomainModel) -> list[str]:
    found = {t.bounded_context or UNASSIGNED for t in model.terms()}
    return sorted(found)


def _page_name(context: str) -> str:
    return f"context-{re.sub(r'[^A-Za-z0-9_-]+', '-', context) or UNASSIGNED}.html"


def _class_href(model: DomainModel, name: str) -> str:
    return f"{_page_name(model.classes[name].bounded_context or UNASSIGNED)}#{name}"


def term_href(model: DomainModel, name: str) -> str | None:
    """Where the glossary describes the class, property or relation ``name`` (relative to its
    index), or None when the model has no such term."""
    if name in model.classes:
        return _class_href(model, name)
    term = model.datatype_properties.get(name) or model.relations.get(name)
    return _member_href(model, term) if term else None


def _member_href(model: DomainModel, term: DatatypeProperty | Relation) -> str:
    prefix = "prop" if isinstance(term, DatatypeProperty) else "rel"
    return f"{_page_name(model.classes[term.domain].bounded_context or UNASSIGNED)}#{prefix}-{term.name}"


def _nav(model: DomainModel) -> str:
    links = [link("index.html", "Index")]
    links += [link(_page_name(c), c) for c in _contexts(model)]
    return " ".join(links)


def _member_link(model: DomainModel, name: str) -> str:
    term = model.relations.get(name) or model.datatype_properties.get(name)
    return link(_member_href(model, term), name) if term else esc(name)


def _class_link(model: DomainModel, name: str) -> str:
    return link(_class_href(model, name), name) if name in model.classes else esc(name)


# -- index --------------------------------------------------------------------------------------


def _search_index(model: DomainModel) -> str:
    """Every term as [name, kind, labels, context, definition, href]: the header's search over
    the whole glossary reads it. Escaped so the page stays valid XML."""
    rows = []
    for term in sorted(model.terms(), key=lambda t: (t.name.lower(), t.name)):
        kind = "class" if isinstance(term, ClassDef) else "property"
        if isinstance(term, Relation):
            kind = "relation"
        alt = [a for texts in getattr(term, "alt_labels", {}).values() for a in texts]
        labels = " / ".join(dict.fromkeys([*term.labels.values(), *alt]))
        rows.append(
            [term.name, kind, labels, term.bounded_context, term.definition(), term_href(model, term.name)]
        )
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _index(model: DomainModel, search_index: str) -> str:
    modules = {m.name: m for m in model.modules}
    cards = []
    for context in _contexts(model):
        module = modules.get(context)
        terms = [t for t in model.terms() if (t.bounded_context or UNASSIGNED) == context]
        classes = sum(1 for t in terms if isinstance(t, ClassDef))
        title = module.label if module else context
        description = f"<p>{esc(module.description)}</p>" if module and module.description else ""
        cards.append(
            f"<li><strong>{link(_page_name(context), title)}</strong> "
            f'<span class="muted">({esc(context)})</span>{description}'
            f'<p class="muted">{classes} classes, {len(terms) - classes} properties and '
            "relations</p></li>"
        )
    body = (
        f'<p class="muted">Version {esc(model.version)} · {len(model.classes)} classes · '
        f"{len(model.datatype_properties)} datatype properties · {len(model.relations)} "
        f"relations · namespace <code>{esc(model.namespace)}</code></p>"
        "<h2>Bounded contexts</h2>"
        f'<ul class="contexts">{"".join(cards)}</ul>'
        "<h2>All terms</h2>"
        + search_box("Search terms (English or German)…")
        + table(
            ("Term", "Kind", "English", "Deutsch", "Context", "Definition"),
            _glossary_rows(model),
        )
    )
    return page(
        "DigiSpine ontology glossary",
        "DigiSpine ontology glossary",
        _nav(model),
        body,
        tools=global_search(search_index),
    )


def _glossary_rows(model: DomainModel) -> Iterator[str]:
    terms = sorted(model.terms(), key=lambda t: (t.name.lower(), t.name))
    for term in terms:
        if isinstance(term, ClassDef):
            kind, href = "class", _class_href(model, term.name)
        elif isinstance(term, DatatypeProperty):
            kind, href = "property", _member_href(model, term)
        else:
            kind, href = "relation", _member_href(model, term)
        yield (
            f'<tr data-search="{_searchable(term)}">'
            f"<td>{link(href, term.name)}</td><td>{kind}</td>"
            f"<td>{esc(term.labels.get('en', ''))}</td><td>{esc(term.labels.get('de', ''))}</td>"
            f"<td>{esc(term.bounded_context)}</td><td>{esc(term.definition())}</td></tr>"
        )


def _searchable(term: ClassDef | DatatypeProperty | Relation, *more: str) -> str:
    alt = [a for texts in getattr(term, "alt_labels", {}).values() for a in texts]
    return search_text(term.name, *term.labels.values(), *alt, term.definition(), *more)


def _member_words(model: DomainModel, cls: ClassDef) -> list[str]:
    """Names and labels of the class's own properties and relations, so a search finds them."""
    members = [
        *(p for p in model.datatype_properties.values() if p.domain == cls.name),
        *(r for r in model.relations.values() if r.domain == cls.name),
    ]
    return [word for m in members for word in (m.name, *m.labels.values())]


# -- context page -------------------------------------------------------------------------------


def _context_page(model: DomainModel, context: str, extras: _Extras, search_index: str) -> str:
    classes = sorted(
        (c for c in model.classes.values() if (c.bounded_context or UNASSIGNED) == context),
        key=lambda c: c.name,
    )
    sections = "".join(_class_section(model, c, extras) for c in classes)
    diagram = context_diagram(model, context, lambda name: _class_href(model, name))
    orphans = _foreign_members(model, context)
    body = (
        f'<div class="diagram">{diagram}</div>'
        f'<p class="muted">{esc(LEGEND)}</p>'
        + search_box(f"Search the {context} context…")
        + sections
        + orphans
    )
    title = f"{context} — DigiSpine ontology"
    return page(title, f"Bounded context: {context}", _nav(model), body, tools=global_search(search_index))


def _class_section(model: DomainModel, cls: ClassDef, extras: _Extras) -> str:
    badges = "".join(
        f'<span class="badge{extra}">{esc(text)}</span>'
        for text, extra, shown in (
            ("abstract", "", cls.abstract),
            ("event", " event", cls.is_event),
        )
        if shown
    )
    return (
        f'<section id="{esc(cls.name)}" '
        f'data-search="{_searchable(cls, *_member_words(model, cls))}">'
        f"<h2>{esc(cls.name)}{badges}</h2>"
        + table((), _class_facts(model, cls), "facts")
        + f'<div class="neighbours">{class_diagram(model, cls.name, lambda n: _class_href(model, n))}</div>'
        + _graphql(extras, cls)
        + _properties(model, cls)
        + _relations(model, cls)
        + "</section>"
    )


def _graphql(extras: _Extras, cls: ClassDef) -> str:
    queries = extras.queries.get(cls.name)
    if queries is None:
        return ""
    fields = f"<code>{esc(queries.list_field)}(first, after, where, orderBy)</code> (a page)"
    if queries.key_field:
        keys = ", ".join(f"{k}: …" for k in cls.key)
        fields += f", <code>{esc(queries.key_field)}({esc(keys)})</code> (one, by its key)"
    run = ""
    if extras.graphiql:
        href = f"{extras.graphiql}#{urlencode({'query': queries.example})}"
        run = f"<p>{link(href, 'Run in GraphiQL', **{'data-testid': 'run-example'})}</p>"
    return (
        f'<h3>GraphQL</h3><p data-testid="graphql-fields">{fields}</p>'
        f'<pre class="example" data-testid="example">{esc(queries.example)}</pre>{run}'
    )


def _class_facts(model: DomainModel, cls: ClassDef) -> Iterator[str]:
    subclasses = model.subclasses(cls.name)
    facts = [
        ("English", esc(cls.labels.get("en", ""))),
        ("Deutsch", esc(cls.labels.get("de", ""))),
        (
            "Also called",
            esc(
                ", ".join(
                    f"{text} ({lang})" if lang else text
                    for lang, texts in sorted(cls.alt_labels.items(), key=lambda item: item[0] != "en")
                    for text in texts
                )
            ),
        ),
        ("Definition", esc(cls.definition("en"))),
        ("Definition (de)", esc(cls.definitions.get("de", ""))),
        (
            "Key",
            esc(", ".join(cls.key))
            + ("" if cls.key_declared or not cls.key else ' <span class="muted">(inherited)</span>'),
        ),
        ("Superclasses", ", ".join(_class_link(model, p) for p in cls.parents)),
        ("Subclasses", ", ".join(_class_link(model, s) for s in subclasses)),
        ("Neo4j labels", esc(":" + ":".join(model.labels_for(cls.name)))),
        ("Affects", ", ".join(_class_link(model, a) for a in cls.affects)),
        ("Emitted by", esc(cls.emitted_by or "")),
        ("Alignments", ", ".join(f"{esc(p)} {link(i, i)}" for p, i in cls.alignments)),
        ("Defined in", esc(str(cls.source) if cls.source else "")),
    ]
    for name, value in facts:
        if value:
            yield f"<tr><th>{esc(name)}</th><td>{value}</td></tr>"


def _properties(model: DomainModel, cls: ClassDef) -> str:
    rows = [_property_row(model, cls, prop) for prop in model.properties_of(cls.name)]
    rendered = table(("Property", "English", "Deutsch", "Type", "Values", "Definition"), rows)
    return f"<h3>Properties</h3>{rendered}" if rendered else ""


def _property_row(model: DomainModel, cls: ClassDef, prop: DatatypeProperty) -> str:
    own = prop.domain == cls.name
    anchor = f' id="prop-{esc(prop.name)}"' if own else ""
    name = esc(prop.name) if own else link(_member_href(model, prop), prop.name)
    inherited = "" if own else f' <span class="muted">from {_class_link(model, prop.domain)}</span>'
    badge = '<span class="badge pd">personal data</span>' if prop.personal_data else ""
    key = '<span class="badge">key</span>' if prop.name in cls.key else ""
    kind = f"<code>xsd:{esc(prop.xsd)}</code> → {esc(prop.graphql_type)} / {esc(prop.neo4j_type)}"
    return (
        f"<tr{anchor}><td><code>{name}</code>{key}{badge}{inherited}</td>"
        f"<td>{esc(prop.labels.get('en', ''))}</td><td>{esc(prop.labels.get('de', ''))}</td>"
        f"<td>{kind}</td><td>{'one' if prop.functional else 'many'}</td>"
        f"<td>{esc(prop.definition())}</td></tr>"
    )


def _relations(model: DomainModel, cls: ClassDef) -> str:
    lineage = model.lineage(cls.name)
    reverse = sorted(
        (r for r in model.relations.values() if not r.stored and r.domain in lineage),
        key=lambda r: (lineage.index(r.domain), r.name),
    )
    outgoing = [
        _relation_row(model, cls, r, r.range, "→") for r in (*model.relations_from(cls.name), *reverse)
    ]
    incoming = [_relation_row(model, cls, r, r.domain, "←") for r in model.relations_to(cls.name)]
    headers = ("Relation", "English", "Deutsch", "Class", "Values", "Definition")
    out = table(headers, outgoing)
    into = table(headers, incoming)
    return (f"<h3>Relations</h3>{out}" if out else "") + (
        f"<h3>Reverse relations (pointing here)</h3>{into}" if into else ""
    )


def _relation_row(model: DomainModel, cls: ClassDef, rel: Relation, other: str, arrow: str) -> str:
    own = rel.domain == cls.name and arrow == "→"
    anchor = f' id="rel-{esc(rel.name)}"' if own else ""
    name = esc(rel.name) if own else link(_member_href(model, rel), rel.name)
    if rel.inverse_of:
        note = f" reads {_member_link(model, rel.inverse_of)} backwards (not stored)"
    else:
        note = f" :{esc(rel.rel_type)}"
        note += f"; reverse field <code>{esc(rel.inverse)}</code>" if rel.inverse else ""
    values = "many" if rel.to_many else "one"
    return (
        f'<tr{anchor}><td><code>{name}</code> <span class="muted">{note}</span></td>'
        f"<td>{esc(rel.labels.get('en', ''))}</td><td>{esc(rel.labels.get('de', ''))}</td>"
        f"<td>{esc(arrow)} {_class_link(model, other)}</td><td>{values}</td>"
        f"<td>{esc(rel.definition())}</td></tr>"
    )


def _foreign_members(model: DomainModel, context: str) -> str:
    """Properties of this context declared on classes of another one (e.g. on core classes)."""
    candidates: list[DatatypeProperty | Relation] = [
        *model.datatype_properties.values(),
        *model.relations.values(),
    ]
    members = [
        t
        for t in candidates
        if (t.bounded_context or UNASSIGNED) == context
        and (model.classes[t.domain].bounded_context or UNASSIGNED) != context
    ]
    rows = [
        f'<tr data-search="{_searchable(t)}"><td>{link(_member_href(model, t), t.name)}</td>'
        f"<td>{esc(t.labels.get('en', ''))}</td><td>{esc(t.labels.get('de', ''))}</td>"
        f"<td>{_class_link(model, t.domain)}</td><td>{esc(t.definition())}</td></tr>"
        for t in sorted(members, key=lambda t: t.name)
    ]
    rendered = table(("Term", "English", "Deutsch", "On class", "Definition"), rows)
    return f"<h2>Declared here, on classes of other contexts</h2>{rendered}" if rendered else ""
