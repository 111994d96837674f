"""An inline SVG diagram of one bounded context: classes as boxes, relations and subclass edges.

Layout is deterministic and simple: boxes on a grid, one band of rows per depth in the class
hierarchy (superclasses of other contexts on top, other linked classes at the bottom, in grey).
Relations are solid blue arrows (``*`` marks to-many), subclass edges dashed grey with a hollow
head, and the classes an event affects dotted orange (when there are few of them).
Edges run only in the gaps between boxes (down/up to the channel under or over a row, across,
through a column gap when rows lie between), each in its own lane, so no line passes behind a
box. The abstract roots (Entity, DomainEvent) of other contexts are left out for clarity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graph_service.ontology.docs_html import esc
from graph_service.ontology.model import ENTITY_ROOT, EVENT_ROOT, DomainModel

BOX_W, BOX_H = 210, 44
GAP_X, GAP_Y = 64, 92
PER_ROW = 4
NAME_CHARS, SUBTITLE_CHARS = 25, 33
LANES, LANE_STEP = 9, 6
MAX_AFFECTS_EDGES = 12

Point = tuple[float, float]


@dataclass(frozen=True)
class _Box:
    name: str
    subtitle: str
    col: int
    row: int
    external: bool
    href: str

    @property
    def x(self) -> float:
        return GAP_X + self.col * (BOX_W + GAP_X)

    @property
    def y(self) -> float:
        return GAP_Y / 2 + self.row * (BOX_H + GAP_Y)


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: str
    kind: str  # "subclass", "relation" or "affects"


def context_diagram(model: DomainModel, context: str, href: Callable[[str], str]) -> str:
    """SVG markup for ``context``; ``href(class_name)`` links each box to its documentation."""
    own = {c.name for c in model.classes.values() if c.bounded_context == context}
    edges = _edges(model, own)
    boxes = _layout(model, own, edges, href)
    columns = max((b.col for b in boxes.values()), default=0) + 1
    rows = max((b.row for b in boxes.values()), default=0) + 1
    width = GAP_X + columns * (BOX_W + GAP_X)
    height = rows * (BOX_H + GAP_Y)
    router = _Router(boxes, edges)
    label = f"Classes of the {context} context and their relations"
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{esc(label)}">',
            f"<title>{esc(context)}</title>",
            _DEFS,
            *(_box_svg(box) for box in boxes.values()),
            *(_edge_svg(edge, router.route(i, edge)) for i, edge in enumerate(edges)),
            "</svg>",
        ]
    )


def _edges(model: DomainModel, own: set[str]) -> list[_Edge]:
    roots = {ENTITY_ROOT, EVENT_ROOT} - own
    edges = [
        _Edge(c, parent, "", "subclass")
        for c in sorted(own)
        for parent in model.classes[c].parents
        if parent not in roots
    ]
    for relation in sorted(model.relations.values(), key=lambda r: r.name):
        ends = {relation.domain, relation.range}
        if relation.stored and ends & own and not ends & roots:
            label = relation.name + (" *" if relation.to_many else "")
            edges.append(_Edge(relation.domain, relation.range, label, "relation"))
    affects = [_Edge(c, target, "", "affects") for c in sorted(own) for target in model.classes[c].affects]
    # Many events each affecting several classes draw a thicket; then the per-event lists
    # on the page say it better.
    return edges + affects if len(affects) <= MAX_AFFECTS_EDGES else edges


def _layout(
    model: DomainModel, own: set[str], edges: list[_Edge], href: Callable[[str], str]
) -> dict[str, _Box]:
    linked = {e.source for e in edges} | {e.target for e in edges}
    above = sorted({e.target for e in edges if e.kind == "subclass"} - own)
    below = sorted(linked - own - set(above))
    bands = [above]
    for depth in sorted({len(model.classes[n].ancestors) for n in own}):
        bands.append(sorted(n for n in own if len(model.classes[n].ancestors) == depth))
    bands.append(below)
    rows = [band[i : i + PER_ROW] for band in bands for i in range(0, len(band), PER_ROW)]
    boxes: dict[str, _Box] = {}
    for row_index, row in enumerate(rows):
        for col, name in enumerate(row):
            boxes[name] = _Box(
                name=name,
                subtitle=model.classes[name].labels.get("de", ""),
                col=col,
                row=row_index,
                external=name not in own,
                href=href(name),
            )
    return boxes


class _Router:
    """Orthogonal routes through the gaps between boxes, with ports and lanes spread out."""

    def __init__(self, boxes: dict[str, _Box], edges: list[_Edge]) -> None:
        self.boxes = boxes
        self.lanes: dict[tuple[str, int], int] = {}
        self.ports = self._ports(edges)

    def _sides(self, edge: _Edge) -> tuple[str, str]:
        a, b = self.boxes[edge.source], self.boxes[edge.target]
        if b.row > a.row:
            return "bottom", "top"
        if b.row < a.row:
            return "top", "bottom"
        return "bottom", "bottom"

    def _ports(self, edges: list[_Edge]) -> dict[tuple[int, str], float]:
        """x of each edge end on its box side, spread over the side, ordered by the other end."""
        ends: dict[tuple[str, str], list[tuple[float, int, str]]] = {}
        for index, edge in enumerate(edges):
            if edge.source == edge.target:
                continue
            start, end = self._sides(edge)
            a, b = self.boxes[edge.source], self.boxes[edge.target]
            ends.setdefault((edge.source, start), []).append((b.x, index, "source"))
            ends.setdefault((edge.target, end), []).append((a.x, index, "target"))
        ports: dict[tuple[int, str], float] = {}
        for (name, _side), attached in ends.items():
            box = self.boxes[name]
            for slot, (_, index, which) in enumerate(sorted(attached)):
                ports[(index, which)] = box.x + BOX_W * (slot + 1) / (len(attached) + 1)
        return ports

    def _lane(self, kind: str, channel: int) -> float:
        used = self.lanes.get((kind, channel), 0)
        self.lanes[(kind, channel)] = used + 1
        return ((used * 5) % LANES - LANES // 2) * LANE_STEP

    def _row_channel(self, row: int) -> float:
        """Centre of the horizontal gap under ``row`` (row -1: above the first row)."""
        return GAP_Y / 2 + (row + 1) * (BOX_H + GAP_Y) - GAP_Y / 2

    def _column_channel(self, col: int) -> float:
        """Centre of the vertical gap right of ``col`` (col -1: left of the first column)."""
        return GAP_X + (col + 1) * (BOX_W + GAP_X) - GAP_X / 2

    def route(self, index: int, edge: _Edge) -> list[Point]:
        """The polyline of ``edges[index]`` from its source box to its target box."""
        a, b = self.boxes[edge.source], self.boxes[edge.target]
        if a is b:
            x, y = a.x + BOX_W, a.y
            return [(x, y + 12), (x + 18, y + 12), (x + 18, y + BOX_H - 12), (x, y + BOX_H - 12)]
        start_side, end_side = self._sides(edge)
        xa, xb = self.ports[(index, "source")], self.ports[(index, "target")]
        ya = a.y + BOX_H if start_side == "bottom" else a.y
        yb = b.y + BOX_H if end_side == "bottom" else b.y
        channel_a = a.row if start_side == "bottom" else a.row - 1
        channel_b = b.row if end_side == "bottom" else b.row - 1
        ha = self._row_channel(channel_a) + self._lane("h", channel_a)
        if channel_a == channel_b:
            return [(xa, ya), (xa, ha), (xb, ha), (xb, yb)]
        column = b.col - 1 if b.col > a.col else b.col
        xv = self._column_channel(column) + self._lane("v", column)
        hb = self._row_channel(channel_b) + self._lane("h", channel_b)
        return [(xa, ya), (xa, ha), (xv, ha), (xv, hb), (xb, hb), (xb, yb)]


def _edge_svg(edge: _Edge, points: list[Point]) -> str:
    style = _EDGE_STYLES[edge.kind]
    shown = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    line = f'<polyline points="{shown}" fill="none" {style}/>'
    # the page's script highlights the edges of the box under the pointer (data-ends)
    group = f'<g class="edge" data-ends="{esc(edge.source)} {esc(edge.target)}">'
    if not edge.label:
        return group + line + "</g>"
    (x1, y1), (x2, _y2) = points[1], points[2]
    return (
        group
        + line
        + (
            f'<text x="{(x1 + x2) / 2:.1f}" y="{y1 - 3:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#1f5f8b" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
            f"{esc(edge.label)}</text>"
        )
        + "</g>"
    )


def _box_svg(box: _Box) -> str:
    fill, stroke = ("#f0f4f8", "#9aa5b1") if box.external else ("#ffffff", "#1f5f8b")
    cx = box.x + BOX_W / 2
    return (
        f'<a href="{esc(box.href)}" data-class="{esc(box.name)}"><g>'
        f"<title>{esc(box.name)}</title>"
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        f'<text x="{cx:.1f}" y="{box.y + 19:.1f}" text-anchor="middle" font-size="13" '
        f'font-weight="600" fill="#1f2933">{esc(_short(box.name, NAME_CHARS))}</text>'
        f'<text x="{cx:.1f}" y="{box.y + 35:.1f}" text-anchor="middle" font-size="11" '
        f'font-style="italic" fill="#616e7c">{esc(_short(box.subtitle, SUBTITLE_CHARS))}</text>'
        "</g></a>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_EDGE_STYLES = {
    "subclass": 'stroke="#9aa5b1" stroke-width="1.4" stroke-dasharray="5 3" marker-end="url(#subclass)"',
    "relation": 'stroke="#1f5f8b" stroke-width="1.2" marker-end="url(#arrow)"',
    "affects": 'stroke="#c05621" stroke-width="1.1" stroke-dasharray="2 3" marker-end="url(#affects)"',
}

_DEFS = (
    "<defs>"
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
    'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f5f8b"/></marker>'
    '<marker id="subclass" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="11" '
    'markerHeight="11" orient="auto"><path d="M 0 0 L 12 6 L 0 12 z" fill="#ffffff" '
    'stroke="#9aa5b1"/></marker>'
    '<marker id="affects" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#c05621"/></marker>'
    "</defs>"
)
