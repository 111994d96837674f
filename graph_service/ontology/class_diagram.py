"""A small SVG diagram of one class and its direct neighbours, readable at a glance.

The context diagram shows a whole bounded context and gets dense; this one shows a single class in
the middle, the classes it points to on the right (its stored relations, own and inherited), the
classes pointing to it on the left, its superclasses above. Every neighbour has a row of its own
and every line is straight, its label beside the neighbour's box: nothing crosses, nothing
overlaps, whatever the number of relations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graph_service.ontology.docs_html import esc
from graph_service.ontology.model import ENTITY_ROOT, EVENT_ROOT, DomainModel

BOX_W, BOX_H = 190, 36
ROW_H = 46
SIDE_GAP = 250  # between the centre box and a column of neighbours: room for the labels
TOP_H = 70
NAME_CHARS = 24
MAX_PER_SIDE = 24  # beyond this, the rest are summarised in a last row


@dataclass(frozen=True)
class _Link:
    other: str
    label: str


def class_diagram(model: DomainModel, name: str, href: Callable[[str], str]) -> str:
    """SVG markup for ``name``; ``href(class_name)`` links each box to its entry."""
    outgoing = _outgoing(model, name)
    incoming = _incoming(model, name)
    parents = [p for p in model.classes[name].parents if p not in (ENTITY_ROOT, EVENT_ROOT)]
    rows = max(len(outgoing), len(incoming), 1)
    top = TOP_H if parents else 10
    width = 2 * BOX_W + 2 * SIDE_GAP + BOX_W
    height = top + rows * ROW_H + 10
    cx, cy = BOX_W + SIDE_GAP, top + (rows * ROW_H - BOX_H) / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" '
        f'height="{height:.0f}" role="img" aria-label="{esc(name)} and its neighbours" '
        'class="class-diagram">',
        _defs(name),
    ]
    for index, parent in enumerate(parents):
        px = cx + (index - (len(parents) - 1) / 2) * (BOX_W + 20)
        parts.append(_line(cx + BOX_W / 2, cy, px + BOX_W / 2, 10 + BOX_H, "", "subclass", name))
        parts.append(_box(model, parent, px, 10, href, external=True))
    for side, links in (("right", outgoing), ("left", incoming)):
        x = cx + BOX_W + SIDE_GAP if side == "right" else 0
        for row, link in enumerate(_rows(links)):
            y = top + row * ROW_H + (ROW_H - BOX_H) / 2
            if side == "right":
                parts.append(_line(cx + BOX_W, cy + BOX_H / 2, x, y + BOX_H / 2, link.label, "out", name))
            else:
                parts.append(_line(x + BOX_W, y + BOX_H / 2, cx, cy + BOX_H / 2, link.label, "in", name))
            parts.append(_box(model, link.other, x, y, href, external=link.other not in model.classes))
    parts.append(_box(model, name, cx, cy, href, external=False, centre=True))
    parts.append("</svg>")
    return "".join(parts)


def _outgoing(model: DomainModel, name: str) -> list[_Link]:
    return [
        _Link(r.range, r.name + (" *" if r.to_many else ""))
        for r in model.relations_from(name)
        if r.range not in (ENTITY_ROOT, EVENT_ROOT)
    ]


def _incoming(model: DomainModel, name: str) -> list[_Link]:
    return [
        _Link(r.domain, r.name + (" *" if r.to_many else ""))
        for r in model.relations_to(name)
        if r.domain not in (ENTITY_ROOT, EVENT_ROOT)
    ]


def _rows(links: list[_Link]) -> list[_Link]:
    if len(links) <= MAX_PER_SIDE:
        return links
    rest = len(links) - MAX_PER_SIDE + 1
    return [*links[: MAX_PER_SIDE - 1], _Link("", f"… {rest} more (see the tables)")]


def _line(x1: float, y1: float, x2: float, y2: float, label: str, kind: str, owner: str) -> str:
    style = _STYLES[kind].format(id=owner)
    line = f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'
    if not label:
        return line
    # beside the neighbour's end of the line, where the lines are a row apart
    tx, anchor = (x2 - 8, "end") if kind == "out" else (x1 + 8, "start")
    ty = (y2 if kind == "out" else y1) - 5
    return line + (
        f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" font-size="12" fill="#1f5f8b" '
        f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{esc(label)}</text>'
    )


def _box(
    model: DomainModel,
    name: str,
    x: float,
    y: float,
    href: Callable[[str], str],
    *,
    external: bool,
    centre: bool = False,
) -> str:
    if not name:
        return ""
    fill, stroke, weight = ("#1f5f8b", "#1f5f8b", "700") if centre else ("#ffffff", "#1f5f8b", "600")
    if external and not centre:
        fill, stroke = "#f0f4f8", "#9aa5b1"
    ink = "#ffffff" if centre else "#1f2933"
    text = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
    box = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="1.5"/>'
        f'<text x="{x + BOX_W / 2:.1f}" y="{y + BOX_H / 2 + 5:.1f}" text-anchor="middle" font-size="13" '
        f'font-weight="{weight}" fill="{ink}">{esc(text)}</text>'
    )
    if centre or name not in model.classes:
        return f"<g><title>{esc(name)}</title>{box}</g>"
    return f'<a href="{esc(href(name))}"><g><title>{esc(name)}</title>{box}</g></a>'


# Marker ids carry the class's name: a page holds one diagram per class, and ids must be unique.
_STYLES = {
    "out": 'stroke="#1f5f8b" stroke-width="1.3" marker-end="url(#c-arrow-{id})"',
    "in": 'stroke="#1f5f8b" stroke-width="1.3" marker-end="url(#c-arrow-{id})"',
    "subclass": (
        'stroke="#9aa5b1" stroke-width="1.4" stroke-dasharray="5 3" marker-end="url(#c-subclass-{id})"'
    ),
}


def _defs(owner: str) -> str:
    return (
        "<defs>"
        f'<marker id="c-arrow-{esc(owner)}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f5f8b"/></marker>'
        f'<marker id="c-subclass-{esc(owner)}" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="11" '
        'markerHeight="11" orient="auto"><path d="M 0 0 L 12 6 L 0 12 z" fill="#ffffff" '
        'stroke="#9aa5b1"/></marker>'
        "</defs>"
    )
