"""sh:minLength, sh:maxLength, sh:pattern (every value, with sh:flags), sh:languageIn, sh:uniqueLang."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from rdflib import SH, Literal

from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Shape, Violation
from loaders.shacl.views import View

PARAMETERS = (SH.minLength, SH.maxLength, SH.pattern, SH.flags, SH.languageIn, SH.uniqueLang)

#: The sh:flags pyshacl applies (it lower-cases them). It ignores s, x and q: we refuse them
#: rather than apply them where the reference does not, or drop them as it does.
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE}


Test = Callable[[Any], bool]


def _at_least(lexical: Callable[[Any], str | None], n: int) -> Test:
    return lambda x: (s := lexical(x)) is not None and len(s) >= n


def _at_most(lexical: Callable[[Any], str | None], n: int) -> Test:
    return lambda x: (s := lexical(x)) is not None and len(s) <= n


def _matching(lexical: Callable[[Any], str | None], rx: re.Pattern[str]) -> Test:
    return lambda x: (s := lexical(x)) is not None and rx.search(s) is not None


def compile(ctx: ShapeContext) -> None:
    _lengths(ctx)
    _patterns(ctx)
    _languages(ctx)


def _lengths(ctx: ShapeContext) -> None:
    lexical = ctx.ops.lexical
    if (n := ctx.integer(SH.minLength)) is not None and n > 0:
        ctx.each(
            "MinLengthConstraintComponent",
            _at_least(lexical, n),
            f"shorter than {n}",
        )
    if (n := ctx.integer(SH.maxLength)) is not None:
        ctx.each(
            "MaxLengthConstraintComponent",
            _at_most(lexical, n),
            f"longer than {n}",
        )


def _patterns(ctx: ShapeContext) -> None:
    patterns = ctx.take(SH.pattern)
    flags = ctx.one(SH.flags)
    if flags is not None and not patterns:
        ctx.refuse(SH.flags, "is given without sh:pattern")
    if not patterns:
        return
    re_flags = 0
    if flags is not None:
        if not isinstance(flags, Literal):
            ctx.refuse(SH.flags, f"needs a literal, got {flags.n3()}")
        for letter in str(flags):
            if letter.lower() not in _FLAGS:
                ctx.refuse(SH.flags, f"flag {letter!r} is not applied by pyshacl (only i and m are)")
            re_flags |= _FLAGS[letter.lower()]
    lexical = ctx.ops.lexical
    for pattern in patterns:
        if not isinstance(pattern, Literal):
            ctx.refuse(SH.pattern, f"needs a literal, got {pattern.n3()}")
        text = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
        try:
            rx = re.compile(text, re_flags)
        except re.error as exc:
            ctx.refuse(SH.pattern, f"{text!r} is not a regular expression Python reads: {exc}")
        ctx.each(
            "PatternConstraintComponent",
            _matching(lexical, rx),
            f"value does not match {text}",
        )


def _languages(ctx: ShapeContext) -> None:
    ops = ctx.ops
    if (lst := ctx.one(SH.languageIn)) is not None:
        wanted = set()
        for tag in ctx.items(SH.languageIn, lst):
            if not isinstance(tag, Literal) or not isinstance(tag.value, str):
                ctx.refuse(SH.languageIn, f"needs string literals, got {tag.n3()}")
            wanted.add(str(tag.value).lower())

        def allowed(x: Any) -> bool:
            lang = ops.lang(x)
            if not lang:
                return False
            return "*" in wanted or lang.lower() in wanted or lang.split("-")[0].lower() in wanted

        ctx.each("LanguageInConstraintComponent", allowed, f"language not in {sorted(wanted)}")
    if (unique := ctx.one(SH.uniqueLang)) is not None:
        if not ctx.is_property:
            ctx.refuse(SH.uniqueLang, "is allowed on property shapes only")
        if not isinstance(unique, Literal) or not isinstance(unique.value, bool):
            ctx.refuse(SH.uniqueLang, f"needs a boolean, got {unique.n3()}")
        if unique.value:
            ctx.add(_unique_lang)


def _unique_lang(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for v in values:
        lang = view.ops.lang(v)
        if lang:
            (repeated if lang.lower() in seen else seen).add(lang.lower())
    return [
        shape.result(view, focus, "UniqueLangConstraintComponent", f"language {lang} used twice")
        for lang in sorted(repeated)
    ]
