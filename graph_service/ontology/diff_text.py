"""The human-readable form of a ModelDiff, for domain experts: grouped, labelled, plain text."""

from __future__ import annotations

from graph_service.ontology.diff import Change, ModelDiff

_GROUPS = (
    ("class", "Classes"),
    ("datatype property", "Datatype properties"),
    ("relation", "Relations"),
    ("stream", "Streams (declared in streams/)"),
)
_MARK = {"added": "+", "removed": "-", "changed": "~"}


def format_diff(diff: ModelDiff, *, old_name: str = "old", new_name: str = "new") -> str:
    """Breaking changes first, then compatible ones; within each, grouped by kind of term.
    Changed aspects say why they are breaking or compatible."""
    lines = [
        f"Ontology {old_name} ({diff.old_version}) -> {new_name} ({diff.new_version}): "
        f"{_count(len(diff.breaking), 'breaking change')}, "
        f"{_count(len(diff.compatible), 'compatible change')}",
    ]
    if diff.is_empty:
        lines.append("No differences in classes, datatype properties or relations.")
    for title, changes in (("BREAKING", diff.breaking), ("COMPATIBLE", diff.compatible)):
        if not changes:
            continue
        lines += ["", f"{title} ({len(changes)})"]
        for kind, heading in _GROUPS:
            group = [c for c in changes if c.term_kind == kind]
            if group:
                lines.append(f"  {heading}")
                lines += [f"    {_line(c)}" for c in group]
    return "\n".join(lines) + "\n"


def _line(change: Change) -> str:
    labels = " / ".join(f'"{text}"' for text in (change.label_en, change.label_de) if text)
    head = f"{_MARK[change.change]} {change.name}" + (f" ({labels})" if labels else "")
    if change.change != "changed":  # the section heading already says why
        return f"{head}: {change.change}" + (f" ({change.hint})" if change.hint else "")
    return f"{head}: {change.aspect} {change.old} -> {change.new} - {change.reason}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
