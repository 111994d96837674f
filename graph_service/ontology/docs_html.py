"""The page shell of the glossary: inline CSS, the search script, escaping helpers.

Pages are polyglot XHTML (valid HTML5 that also parses as XML), so tests can parse them strictly.
Nothing is loaded from the network.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #1f5f8b; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--ink); background: #fff; }
header { background: var(--accent); color: #fff; padding: 14px 28px; }
header a { color: #fff; }
header h1 { margin: 0; font-size: 22px; }
nav { font-size: 14px; margin-top: 4px; }
nav a { margin-right: 12px; }
main { padding: 20px 28px 60px; max-width: 1200px; }
a { color: var(--accent); }
h2 { margin: 32px 0 4px; font-size: 20px; border-bottom: 1px solid var(--line); }
h3 { margin: 18px 0 6px; font-size: 15px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
         border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-weight: 600; }
table.facts th { width: 170px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 13px; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
         margin-left: 6px; background: #e4e7eb; color: var(--ink); vertical-align: middle; }
.badge.pd { background: #fde2e2; color: #8a1c1c; }
.badge.event { background: #e3f8ff; color: #035388; }
.muted { color: var(--muted); }
.search { width: 100%; max-width: 460px; padding: 8px 10px; font-size: 15px;
          border: 1px solid var(--line); border-radius: 6px; margin: 8px 0 16px; }
.diagram { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px;
           padding: 8px; background: var(--bg); margin: 12px 0 24px; }
.contexts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
            gap: 14px; padding: 0; list-style: none; }
.contexts li { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
[hidden] { display: none !important; }
"""

# Filters every element with a data-search attribute. No '<' or '&' (keeps the page valid XML).
SCRIPT = """
(function () {
  var box = document.getElementById("search");
  if (!box) { return; }
  var items = document.querySelectorAll("[data-search]");
  box.addEventListener("input", function () {
    var query = box.value.trim().toLowerCase();
    items.forEach(function (item) {
      item.hidden = query !== "" ? item.getAttribute("data-search").indexOf(query) === -1 : false;
    });
  });
})();
"""


def esc(text: object) -> str:
    """Escape text for element content and double-quoted attributes."""
    return escape(str(text), quote=True)


def link(href: str, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.rstrip("_")}="{esc(v)}"' for k, v in sorted(attrs.items()))
    return f'<a href="{esc(href)}"{extra}>{esc(text)}</a>'


def search_text(*parts: str | None) -> str:
    """The lower-cased text the search box matches against."""
    return esc(" ".join(p for p in parts if p).lower())


def search_box(placeholder: str) -> str:
    return (
        f'<input id="search" class="search" type="search" placeholder="{esc(placeholder)}" '
        f'aria-label="{esc(placeholder)}" />'
    )


def table(headers: Iterable[str], rows: Iterable[str], css_class: str = "") -> str:
    """A table; ``rows`` are already rendered ``<tr>`` elements; no header row without headers."""
    body = "".join(rows)
    if not body:
        return ""
    cells = "".join(f"<th>{esc(h)}</th>" for h in headers)
    head = f"<thead><tr>{cells}</tr></thead>" if cells else ""
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<table{cls}>{head}<tbody>{body}</tbody></table>"


def page(title: str, heading: str, nav: str, body: str) -> str:
    """A whole page: one file, inline CSS and script, no external resources."""
    return (
        "<!DOCTYPE html>\n"
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{CSS}</style>\n"
        "</head>\n"
        "<body>\n"
        f"<header><h1>{esc(heading)}</h1><nav>{nav}</nav></header>\n"
        f"<main>\n{body}\n</main>\n"
        f"<script>{SCRIPT}</script>\n"
        "</body>\n"
        "</html>\n"
    )
