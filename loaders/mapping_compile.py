"""Compiling mapping files (YAML) against the DomainModel, collecting every problem with file and
line. The language is described in docs/sources.md; :mod:`loaders.mapping` loads and runs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from graph_service.ontology.model import ClassDef, DomainModel
from loaders.errors import MappingError
from loaders.mapping_model import EntitySpec, EventMapping, RelationSpec, ValueSpec, template_paths
from loaders.mapping_paths import PathSyntaxError, ValuePath, parse_path
from loaders.mapping_values import CONVERSIONS, NUMERIC, check_format, unit_scale
from loaders.systems import SourceSystem
from loaders.yamlsource import Located, LocatedList

ENTITY_FIELDS = ("class", "key", "set", "each", "when", "optional", "lineage", "role", "required")
VALUE_FIELDS = (
    "path",
    "const",
    "template",
    "convert",
    "default",
    "map",
    "format",
    "unit",
    "factor",
    "required",
)
#: Why `required:` is refused on a value outside ``set:``.
REQUIRED_IN_SET_ONLY = (
    "`required:` marks a value under `set:` (or, on an entity, its `each` list); key values are "
    "required already unless the entity is `optional` or has `when`"
)
RELATION_FIELDS = ("from", "relation", "to", "join")


class Ctx:
    """Where problems go, and the file they are in."""

    def __init__(self, file: str, problems: list[MappingError]) -> None:
        self.file = file
        self.problems = problems

    def error(self, line: int | None, message: str) -> None:
        self.problems.append(MappingError(self.file, line, message))


def line_of(node: Any, key: str | None = None) -> int | None:
    if isinstance(node, Located):
        return node.key_lines.get(key, node.line) if key else node.line
    return getattr(node, "line", None)


def compile_events(ctx: Ctx, doc: Located, system: SourceSystem, model: DomainModel) -> list[EventMapping]:
    events = doc.get("events")
    if not isinstance(events, LocatedList):
        ctx.error(line_of(doc, "events"), "`events:` must be a list of event mappings")
        return []
    compiled = []
    for entry in events:
        mapping = _compile_event(ctx, entry, system, model)
        if mapping is not None:
            compiled.append(mapping)
    return compiled


def _compile_event(ctx: Ctx, entry: Any, system: SourceSystem, model: DomainModel) -> EventMapping | None:
    if not isinstance(entry, Located):
        ctx.error(line_of(entry), "each event mapping must be a mapping with type, event, entities")
        return None
    before = len(ctx.problems)
    type_name = entry.get("type")
    if not isinstance(type_name, str) or not type_name or type_name != type_name.strip():
        ctx.error(
            line_of(entry, "type"),
            f"type {type_name!r}: give the CloudEvents type as the system sends it "
            "(any text, e.g. sap.s4.beh.salesorder.v1.SalesOrder.Created.v1)",
        )
        type_name = str(type_name)
    event_name = str(entry.get("event", ""))
    event_cls = model.classes.get(event_name)
    if event_cls is None or not event_cls.is_event:
        ctx.error(
            line_of(entry, "event"), f"event class ds:{event_name} is not an event class of the ontology"
        )
        event_cls = None
    elif event_cls.emitted_by and event_cls.emitted_by != system.kind:
        ctx.error(
            line_of(entry, "event"),
            f"ds:{event_name} is emitted by {event_cls.emitted_by} systems, not {system.kind} "
            f"(declare the system with `kind: {event_cls.emitted_by}` if it plays that part)",
        )
    entities_doc = entry.get("entities")
    if not isinstance(entities_doc, Located) or not entities_doc:
        ctx.error(line_of(entry, "entities"), "`entities:` must map aliases to entity specs")
        return None
    entities = []
    for alias, spec_doc in entities_doc.items():
        spec = _compile_entity(ctx, str(alias), spec_doc, line_of(entities_doc, alias), model, event_cls)
        if spec is not None:
            entities.append(spec)
    by_alias = {e.alias: e for e in entities}
    relations = []
    for rel_doc in entry.get("relations") or []:
        rel = _compile_relation(ctx, rel_doc, by_alias, model)
        if rel is not None:
            relations.append(rel)
    if len(ctx.problems) > before or event_cls is None:
        return None
    return EventMapping(
        type=type_name,
        event_class=event_name,
        event_labels=model.labels_for(event_name),
        source_kind=system.name,
        entities=tuple(entities),
        relations=tuple(relations),
        file=ctx.file,
        line=entry.line,
        system=system,
    )


def merge_label(model: DomainModel, cls: ClassDef) -> str:
    for name in model.lineage(cls.name):
        if model.classes[name].key_declared:
            return model.classes[name].neo4j_label
    return cls.neo4j_label


def _compile_entity(
    ctx: Ctx, alias: str, doc: Any, line: int | None, model: DomainModel, event_cls: ClassDef | None
) -> EntitySpec | None:
    if not isinstance(doc, Located):
        ctx.error(line, f"entity {alias}: expected a mapping with class, key and set")
        return None
    class_name = str(doc.get("class", ""))
    cls = model.classes.get(class_name)
    if cls is None or cls.is_event:
        ctx.error(
            line_of(doc, "class"), f"entity {alias}: ds:{class_name} is not an entity class of the ontology"
        )
        return None
    if cls.abstract or not cls.key:
        ctx.error(line_of(doc, "class"), f"entity {alias}: ds:{class_name} is abstract or has no key")
        return None
    affected = event_cls is not None and any(a in model.lineage(class_name) for a in event_cls.affects)
    if event_cls is not None and doc.get("set") and not affected:
        ctx.error(
            line_of(doc, "set"),
            f"entity {alias}: the mapping sets properties of ds:{class_name}, but ds:{event_cls.name} "
            f"does not declare ds:affects ds:{class_name} in the ontology (add it there, or only "
            "reference the entity by key; `lineage: true` links the event to it without setting anything)",
        )
    unknown = sorted(str(k) for k in set(doc) - set(ENTITY_FIELDS))
    if unknown:
        ctx.error(
            line_of(doc, unknown[0]),
            f"entity {alias}: unknown field(s) {', '.join(unknown)}; use {', '.join(ENTITY_FIELDS)}",
        )
    props = {p.name: p for p in model.properties_of(class_name)}
    key_doc = doc.get("key")
    if not isinstance(key_doc, Located) or set(key_doc) != set(cls.key):
        ctx.error(
            line_of(doc, "key"),
            f"entity {alias}: key must give exactly the business key of ds:{class_name}: "
            f"{', '.join(cls.key)}",
        )
        return None
    key = tuple(
        (p, value_spec(ctx, key_doc[p], line_of(key_doc, p), props[p].xsd, f"{alias}.{p}")) for p in cls.key
    )
    properties = _properties(ctx, alias, doc, cls, props, _may_lack(doc))
    lineage = doc.get("lineage")
    if lineage is not None and not isinstance(lineage, bool):
        ctx.error(line_of(doc, "lineage"), f"entity {alias}: `lineage:` is true or false")
        lineage = None
    linked = affected if lineage is None else lineage
    if not linked and any(spec.history for _, spec in properties):
        ctx.error(
            line_of(doc, "set"),
            f"entity {alias}: `history: true` keeps values on the lineage link; "
            "this entity has none (`lineage: false`)",
        )
    role = None
    if "role" in doc:  # plain text is the qualifier itself; {path: ...} reads it from the event
        role_doc = doc["role"]
        role = (
            ValueSpec(const=role_doc)
            if isinstance(role_doc, str)
            else value_spec(ctx, role_doc, line_of(doc, "role"), "string", f"{alias}.role")
        )
        if not linked:
            ctx.error(
                line_of(doc, "role"),
                f"entity {alias}: a role qualifies the lineage link; add `lineage: true`",
            )
    each = doc.get("each")
    each_path = _path(ctx, str(each), line_of(doc, "each"), f"entity {alias}: each") if each else None
    if each_path is not None and (each_path.attribute or each_path.up or not each_path.steps):
        ctx.error(line_of(doc, "each"), f"entity {alias}: each names a list of the payload (from its root)")
        each_path = None
    return EntitySpec(
        alias=alias,
        class_name=class_name,
        merge_label=merge_label(model, cls),
        labels=model.labels_for(class_name),
        key=key,
        properties=tuple(properties),
        each=each_path.names if each_path is not None else None,
        when=_when(ctx, alias, doc),
        required=_required_list(ctx, alias, doc, each_path),
        optional=bool(doc.get("optional", False)),
        affected=affected,
        lineage=lineage,
        role=role,
        each_path=each_path,
    )


def _may_lack(doc: Located) -> str | None:
    """Why the event may lack the entity (so nothing of it can be required), None if it cannot."""
    if doc.get("optional"):
        return "the entity is `optional`"
    if doc.get("when"):
        return "the entity is chosen by `when`"
    return None


def _required_list(ctx: Ctx, alias: str, doc: Located, each: ValuePath | None) -> bool:
    """``required: true`` on an entity: the list it iterates must be sent, with one element at least."""
    if "required" not in doc:
        return False
    flag, line = doc["required"], line_of(doc, "required")
    if not isinstance(flag, bool):
        ctx.error(line, f"entity {alias}: `required:` is true or false")
        return False
    if not flag:
        return False
    if each is None:
        ctx.error(
            line,
            f"entity {alias}: `required:` on an entity requires its `each` list; to require a "
            "value, write `required: true` in its block under `set:` ({path: …, required: true})",
        )
    elif (reason := _may_lack(doc)) is not None:
        ctx.error(line, f"entity {alias}: {reason}, so its list cannot be required")
    elif not each.followable:
        ctx.error(line, f"entity {alias}: a list reached by selectors cannot be required by the contract")
    else:
        return True
    return False


def _properties(
    ctx: Ctx, alias: str, doc: Located, cls: ClassDef, props: Mapping[str, Any], may_lack: str | None
) -> list[tuple[str, ValueSpec]]:
    set_doc = doc.get("set")
    if not set_doc:
        return []
    if not isinstance(set_doc, Located):
        ctx.error(line_of(doc, "set"), f"entity {alias}: `set:` maps properties to values")
        return []
    properties = []
    for prop, value_doc in set_doc.items():
        target = props.get(prop)
        if target is None:
            ctx.error(
                line_of(set_doc, prop), f"entity {alias}: ds:{cls.name} has no datatype property {prop}"
            )
            continue
        if prop in cls.key:
            ctx.error(
                line_of(set_doc, prop), f"entity {alias}: {prop} is part of the key; give it under key:"
            )
            continue
        history = isinstance(value_doc, Located) and value_doc.get("history") is True
        if history:  # history is a property's option, not a value's: drop it before reading the value
            value_doc = _without(value_doc, "history")
            if target.personal_data:  # a link's properties are not hidden like personal node properties
                ctx.error(
                    line_of(set_doc, prop),
                    f"entity {alias}: {prop} is personal data (ds:personalData); its history is not kept",
                )
        refused = None if may_lack is None else f"{may_lack}, so none of its values can be `required`"
        spec = value_spec(
            ctx, value_doc, line_of(set_doc, prop), target.xsd, f"{alias}.{prop}", refuse_required=refused
        )
        properties.append((prop, replace(spec, history=True) if history else spec))
    return properties


def _without(doc: Located, name: str) -> Located:
    copy = Located({k: v for k, v in doc.items() if k != name})
    copy.line = doc.line
    copy.key_lines = {k: v for k, v in doc.key_lines.items() if k != name}
    return copy


def _when(ctx: Ctx, alias: str, doc: Located) -> tuple[tuple[ValueSpec, Any], ...]:
    when_doc = doc.get("when") or {}
    if not isinstance(when_doc, dict):
        ctx.error(
            line_of(doc, "when"), f"entity {alias}: `when:` maps payload paths to the values they must have"
        )
        return ()
    conditions = []
    for text, expected in when_doc.items():
        ref = _path(ctx, str(text), line_of(when_doc, text), f"entity {alias}: when")
        if ref is not None:
            conditions.append((_from_ref(ref, "string"), expected))
    return tuple(conditions)


def _path(ctx: Ctx, text: str, line: int | None, where: str) -> ValuePath | None:
    try:
        return parse_path(text)
    except PathSyntaxError as exc:
        ctx.error(line, f"{where}: {exc}")
        return None


def _from_ref(ref: ValuePath, convert: str, **options: Any) -> ValueSpec:
    names = None if ref.attribute is not None else ref.names
    return ValueSpec(path=names, from_root=ref.from_root, convert=convert, ref=ref, **options)


def value_spec(
    ctx: Ctx,
    doc: Any,
    line: int | None,
    xsd: str,
    where: str,
    *,
    refuse_required: str | None = REQUIRED_IN_SET_ONLY,
) -> ValueSpec:
    """A value of the mapping: a path (text), or a block with path, const or template and options.
    ``refuse_required``: why ``required: true`` is wrong here (None: it may be required)."""
    spec = _value_spec(ctx, doc, line, xsd, where)
    if isinstance(doc, Located) and "required" in doc:
        return _required_value(ctx, doc, spec, where, refuse_required)
    return spec


def _required_value(ctx: Ctx, doc: Located, spec: ValueSpec, where: str, refused: str | None) -> ValueSpec:
    flag, line = doc["required"], line_of(doc, "required")
    if not isinstance(flag, bool):
        ctx.error(line, f"{where}: `required:` is true or false")
        return spec
    if not flag:
        return spec
    if refused is not None:
        ctx.error(line, f"{where}: {refused}")
    elif "default" in doc:
        ctx.error(line, f"{where}: a value with a `default:` is never missing; drop `required` or `default`")
    elif spec.ref is None or spec.path is None or not spec.ref.followable:
        ctx.error(
            line,
            f"{where}: `required:` needs a payload path the contract can check (not a const, "
            "template, envelope attribute such as $time, list selector or `../`)",
        )
    else:
        return replace(spec, required=True)
    return spec


def _value_spec(ctx: Ctx, doc: Any, line: int | None, xsd: str, where: str) -> ValueSpec:
    if isinstance(doc, str):
        ref = _path(ctx, doc, line, where)
        return _from_ref(ref, xsd) if ref is not None else ValueSpec(convert=xsd)
    if not isinstance(doc, Located):
        ctx.error(line, f"{where}: a value is a payload path, or a mapping with path, const or template")
        return ValueSpec(convert=xsd)
    unknown = sorted(str(k) for k in set(doc) - set(VALUE_FIELDS))
    if unknown:
        ctx.error(
            line_of(doc, unknown[0]),
            f"{where}: unknown field(s) {', '.join(unknown)}; use {', '.join(VALUE_FIELDS)}",
        )
    _check_convert(ctx, doc, xsd, where)
    options = _options(ctx, doc, xsd, where)
    if "path" in doc:
        ref = _path(ctx, str(doc["path"]), line_of(doc, "path"), where)
        return _from_ref(ref, xsd, **options) if ref is not None else ValueSpec(convert=xsd)
    if "template" in doc:
        if xsd not in {"string", "anyURI"}:
            ctx.error(
                line_of(doc, "template"), f"{where}: a template gives text, but the ontology says xsd:{xsd}"
            )
        template = str(doc["template"])
        try:
            template_paths(template)
        except PathSyntaxError as exc:
            ctx.error(line_of(doc, "template"), f"{where}: template: {exc}")
        return ValueSpec(template=template, convert=xsd, **options)
    if "const" in doc:
        return ValueSpec(const=doc["const"], convert=xsd, **options)
    if "default" in doc:  # only a default: the value is always the default
        return ValueSpec(const=doc["default"], convert=xsd, **options)
    ctx.error(line, f"{where}: give one of path, const or template")
    return ValueSpec(convert=xsd)


def _check_convert(ctx: Ctx, doc: Located, xsd: str, where: str) -> None:
    convert = str(doc.get("convert", xsd))
    if convert not in CONVERSIONS:
        ctx.error(
            line_of(doc, "convert"),
            f"{where}: unknown conversion {convert!r}; use one of {', '.join(CONVERSIONS)}",
        )
    elif convert != xsd and not (convert in NUMERIC and xsd in {"decimal", "double"}):
        ctx.error(
            line_of(doc, "convert"),
            f"{where}: type mismatch: the ontology says xsd:{xsd}, the mapping converts to {convert}",
        )


def _options(ctx: Ctx, doc: Located, xsd: str, where: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if "default" in doc:
        options["default"] = doc["default"]
    if "map" in doc:
        table = doc["map"]
        if not isinstance(table, Mapping) or not table:
            ctx.error(line_of(doc, "map"), f"{where}: `map:` maps source codes to values, e.g. {{A: OPEN}}")
        else:
            options["value_map"] = tuple((_code(k), v) for k, v in table.items())
    if "format" in doc:
        problem = check_format(str(doc["format"]), xsd)
        if problem:
            ctx.error(line_of(doc, "format"), f"{where}: {problem}")
        options["fmt"] = str(doc["format"])
    if "unit" in doc or "factor" in doc:
        if xsd not in NUMERIC:
            ctx.error(
                line_of(doc, "unit" if "unit" in doc else "factor"),
                f"{where}: units scale numbers, but the ontology says xsd:{xsd}",
            )
        factor, offset = Decimal(1), Decimal(0)
        if "unit" in doc:
            try:
                factor, offset = unit_scale(str(doc["unit"]))
            except ValueError as exc:
                ctx.error(line_of(doc, "unit"), f"{where}: {exc}")
        if "factor" in doc:
            try:
                factor *= Decimal(str(doc["factor"]))
            except ArithmeticError:
                ctx.error(line_of(doc, "factor"), f"{where}: factor {doc['factor']!r} is not a number")
        options["factor"], options["offset"] = factor, offset
    return options


def _code(key: Any) -> str:
    """A ``map:`` key as the text a payload value is compared with (YAML reads ``true`` as a bool)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _compile_relation(
    ctx: Ctx, doc: Any, entities: Mapping[str, EntitySpec], model: DomainModel
) -> RelationSpec | None:
    join_doc: Any = None
    if isinstance(doc, LocatedList) and len(doc) == 3:
        source, name, target = (str(x) for x in doc)
    elif isinstance(doc, Located) and {"from", "relation", "to"} <= set(doc):
        unknown = sorted(str(k) for k in set(doc) - set(RELATION_FIELDS))
        if unknown:
            bare_on = True in doc  # type: ignore[comparison-overlap]  # YAML reads `on:` as the key True
            ctx.error(
                line_of(doc, unknown[0]),
                f"relation: unknown field(s) {', '.join(unknown)}; use {', '.join(RELATION_FIELDS)}"
                + (" (YAML reads a bare `on:` as true)" if bare_on else ""),
            )
        source, name, target = str(doc["from"]), str(doc["relation"]), str(doc["to"])
        join_doc = doc.get("join")
    else:
        ctx.error(
            line_of(doc),
            "a relation is written [source alias, relation, target alias], or as a "
            "mapping with from, relation, to (and join)",
        )
        return None
    line = line_of(doc)
    rel = model.relations.get(name)
    if rel is None:
        ctx.error(line, f"relation ds:{name} is not an object property of the ontology")
        return None
    flipped = not rel.stored
    if flipped:  # a reverse property: store the relation it reads backwards
        rel = model.relations[rel.inverse_of or ""]
        source, target = target, source
    for alias in (source, target):
        if alias not in entities:
            ctx.error(line, f"relation ds:{name}: unknown entity alias {alias!r}")
            return None
    a, b = entities[source], entities[target]
    if rel.domain not in model.lineage(a.class_name):
        ctx.error(line, f"relation ds:{rel.name} starts at ds:{rel.domain}, not at ds:{a.class_name}")
        return None
    if rel.range not in model.lineage(b.class_name):
        ctx.error(line, f"relation ds:{rel.name} ends at ds:{rel.range}, not at ds:{b.class_name}")
        return None
    if join_doc is not None and flipped:
        ctx.error(
            line,
            f"relation ds:{name}: `join:` joins from→to of a stored relation; write it with "
            f"ds:{rel.name} from {source} to {target}",
        )
        return None
    join = _join(ctx, join_doc, line, b, name)
    if join is None:
        return None
    if not join and not _nested(a.each, b.each):
        ctx.error(
            line,
            f"relation ds:{rel.name}: {source} and {target} iterate different lists; pair them by key "
            f"with `join:` (the target's key read in the source's element), or nest one list in the other",
        )
        return None
    return RelationSpec(source, rel.name, rel.rel_type, target, rel.to_many, join)


def _nested(left: tuple[str, ...] | None, right: tuple[str, ...] | None) -> bool:
    """Whether two ``each`` lists pair by position: the same list, one inside the other, or no list."""
    a, b = left or (), right or ()
    return a[: len(b)] == b or b[: len(a)] == a


def _join(
    ctx: Ctx, doc: Any, line: int | None, target: EntitySpec, name: str
) -> tuple[tuple[str, ValueSpec], ...] | None:
    if doc is None:
        return ()
    key_props = [p for p, _ in target.key]
    if not isinstance(doc, Located) or set(doc) != set(key_props):
        ctx.error(
            line, f"relation ds:{name}: `join:` must give the key of {target.alias}: {', '.join(key_props)}"
        )
        return None
    converts = dict(target.key)
    return tuple(
        (p, value_spec(ctx, doc[p], line_of(doc, p), converts[p].convert, f"relation ds:{name} join {p}"))
        for p in key_props
    )
