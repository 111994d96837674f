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
.neighbours { overflow-x: auto; margin: 8px 0 4px; }
pre.example { background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
              padding: 8px 10px; font-size: 13px; overflow-x: auto; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 24px; }
.global { position: relative; margin-left: auto; }
.global input { width: 320px; padding: 6px 10px; border-radius: 6px; border: 0; font-size: 14px; }
.global ol { position: absolute; right: 0; top: 36px; z-index: 10; width: 560px; max-height: 70vh;
             overflow-y: auto; margin: 0; padding: 4px 0; list-style: none; background: #fff;
             color: var(--ink); border: 1px solid var(--line); border-radius: 6px;
             box-shadow: 0 6px 24px rgba(0, 0, 0, .15); }
.global li { padding: 4px 12px; border-bottom: 1px solid var(--line); font-size: 14px; }
.global li a { color: var(--accent); font-weight: 600; }
.global li span { color: var(--muted); }
.diagram svg.focus .edge { opacity: .12; }
.diagram svg.focus .edge.on { opacity: 1; }
.diagram svg.focus .edge.on polyline { stroke-width: 2.4; }
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
(function () {
  var box = document.getElementById("global-search");
  var list = document.getElementById("global-results");
  var data = document.getElementById("glossary-index");
  if (!box || !list || !data) { return; }
  var terms = JSON.parse(data.textContent);
  function rank(t, query) {
    var name = t[0].toLowerCase();
    var labels = t[2].toLowerCase().split(" / ");
    if (name === query || labels.indexOf(query) !== -1) { return 0; }
    if (name.indexOf(query) === 0) { return 1; }
    if (labels.some(function (l) { return l.indexOf(query) === 0; })) { return 2; }
    return 3;
  }
  function show() {
    var query = box.value.trim().toLowerCase();
    list.textContent = "";
    list.hidden = query === "";
    if (list.hidden) { return; }
    var found = terms.filter(function (t) {
      return (t[0] + " " + t[2] + " " + t[4]).toLowerCase().indexOf(query) !== -1;
    });
    // exact names and labels first, then names and labels starting with the text, then the rest
    found.sort(function (a, b) { return rank(a, query) - rank(b, query); });
    found.slice(0, 40).forEach(function (t) {
      var item = document.createElement("li");
      item.setAttribute("data-testid", "global-result");
      var a = document.createElement("a");
      a.href = t[5];
      a.textContent = t[0];
      var about = document.createElement("span");
      about.textContent = " " + t[1] + " · " + t[3] + (t[2] ? " · " + t[2] : "") + (t[4] ? " — " + t[4] : "");
      item.appendChild(a);
      item.appendChild(about);
      list.appendChild(item);
    });
    if (found.length === 0) {
      var none = document.createElement("li");
      none.textContent = "No term matches.";
      list.appendChild(none);
    }
  }
  box.addEventListener("input", show);
  box.addEventListener("keydown", function (event) {
    var first = list.querySelector("a");
    if (event.key === "Enter" ? first : false) { window.location.href = first.href; }
    if (event.key === "Escape") { box.value = ""; show(); }
  });
})();
(function () {
  document.querySelectorAll(".diagram svg").forEach(function (svg) {
    var edges = svg.querySelectorAll(".edge");
    svg.querySelectorAll("[data-class]").forEach(function (box) {
      var name = box.getAttribute("data-class");
      box.addEventListener("mouseenter", function () {
        svg.classList.add("focus");
        edges.forEach(function (edge) {
          edge.classList.toggle("on", edge.getAttribute("data-ends").split(" ").indexOf(name) !== -1);
        });
      });
      box.addEventListener("mouseleave", function () { svg.classList.remove("focus"); });
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


def global_search(index_json: str) -> str:
    """The header's search over every term of the glossary (``index_json``: escaped JSON rows)."""
    return (
        '<div class="global"><input id="global-search" type="search" data-testid="global-search" '
        'placeholder="Search the whole glossary…" aria-label="Search the whole glossary" '
        'autocomplete="off" /><ol id="global-results" data-testid="global-results" hidden=""></ol>'
        f'<script type="application/json" id="glossary-index">{index_json}</script></div>'
    )


def page(title: str, heading: str, nav: str, body: str, *, tools: str = "") -> str:
    """A whole page: one file, inline CSS and script, no external resources. ``tools``: more
    of the header (the global search)."""
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
        f"<header><div><h1>{esc(heading)}</h1><nav>{nav}</nav></div>{tools}</header>\n"
        f"<main>\n{body}\n</main>\n"
        f"<script>{SCRIPT}</script>\n"
        "</body>\n"
        "</html>\n"
    )
