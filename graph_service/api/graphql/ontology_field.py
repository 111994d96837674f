"""The ``ontology`` root field: the domain's language (classes, properties, relations, labels and
definitions) in a requested language, with English as the fallback, read from the model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Optional

import strawberry

from graph_service.api.graphql.fields import ClassFields, RelationField
from graph_service.ontology.model import DomainModel, Term


@strawberry.type(name="OntologyText", description="A text in one language.")
class LocalizedText:
    language: str
    text: str


@strawberry.type(description="A datatype property: a scalar field of the classes in its domain.")
class OntologyProperty:
    name: str = strawberry.field(description="Field and Neo4j property name.")
    iri: str
    label: str = strawberry.field(description="Label in the requested language (English fallback).")
    definition: str
    labels: list[LocalizedText] = strawberry.field(description="Labels in every language given.")
    domain: str = strawberry.field(description="The class that declares it.")
    datatype: str = strawberry.field(description="XSD datatype, e.g. xsd:decimal.")
    graphql_type: str = strawberry.field(description="GraphQL scalar it is served as.")
    multi_valued: bool = strawberry.field(description="True for a non-functional (list) property.")
    personal_data: bool
    bounded_context: str


@strawberry.type(description="An object property: a relation field and a Neo4j relationship type.")
class OntologyRelation:
    name: str = strawberry.field(description="The relation field's name on the class it is read from.")
    iri: str
    label: str
    definition: str
    labels: list[LocalizedText]
    domain: str
    range: str
    relationship_type: str = strawberry.field(description="Neo4j relationship type (stored direction).")
    direction: str = strawberry.field(description="OUT along the stored direction, IN against it.")
    to_many: bool
    inverse: Optional[str] = strawberry.field(description="The declared inverse, if any.")  # noqa: UP045
    bounded_context: str


@strawberry.type(description="A class of the domain: a GraphQL type and a Neo4j label.")
class OntologyClass:
    name: str
    iri: str
    label: str
    definition: str
    labels: list[LocalizedText]
    alt_labels: list[str] = strawberry.field(description="Synonyms in the requested language.")
    bounded_context: str
    abstract: bool
    is_event: bool
    superclasses: list[str] = strawberry.field(description="Direct superclasses.")
    subclasses: list[str] = strawberry.field(description="All direct and indirect subclasses.")
    neo4j_labels: list[str] = strawberry.field(description="Labels a node of this class carries.")
    key: list[str] = strawberry.field(description="Business key properties (owl:hasKey).")
    properties: list[OntologyProperty] = strawberry.field(description="Own and inherited properties.")
    relations: list[OntologyRelation] = strawberry.field(
        description="Relation fields: declared object properties and stored relations read backwards."
    )


@strawberry.type(description="The ubiquitous language of the domain, compiled from the ontology.")
class Ontology:
    language: str = strawberry.field(description="The requested language.")
    version: str
    namespace: str
    bounded_contexts: list[str]
    classes: list[OntologyClass]
    properties: list[OntologyProperty]
    relations: list[OntologyRelation]


_LANG_DOC = "Language of labels and definitions (e.g. de); English where a term has none in it."


class OntologyView:
    """Builds :class:`Ontology` answers (per language, cached: the model does not change)."""

    def __init__(self, model: DomainModel, fields: Mapping[str, ClassFields]) -> None:
        self._model = model
        self._fields = fields
        self._cache: dict[str, Ontology] = {}

    def resolver(self) -> Any:
        def ontology(lang: Annotated[str, strawberry.argument(description=_LANG_DOC)] = "en") -> Ontology:
            return self.answer(lang)

        return ontology

    def answer(self, lang: str) -> Ontology:
        lang = lang.strip().lower()[:16] or "en"
        if lang not in self._cache:
            self._cache[lang] = self._build(lang)
        return self._cache[lang]

    def _build(self, lang: str) -> Ontology:
        model = self._model
        properties = [_property(p, lang) for p in sorted(model.datatype_properties.values(), key=_name)]
        relations = [
            _relation(r, lang, r.name, "OUT" if r.stored else "IN", model)
            for r in sorted(model.relations.values(), key=_name)
        ]
        return Ontology(
            language=lang,
            version=model.version,
            namespace=model.namespace,
            bounded_contexts=list(model.bounded_contexts()),
            classes=[self._class(name, lang) for name in sorted(model.classes)],
            properties=properties,
            relations=relations,
        )

    def _class(self, name: str, lang: str) -> OntologyClass:
        model, cls, fields = self._model, self._model.cls(name), self._fields[name]
        return OntologyClass(
            name=cls.name,
            iri=cls.iri,
            label=cls.label(lang),
            definition=cls.definition(lang),
            labels=_labels(cls),
            alt_labels=list(cls.alt_labels.get(lang) or cls.alt_labels.get("en") or ()),
            bounded_context=cls.bounded_context,
            abstract=cls.abstract,
            is_event=cls.is_event,
            superclasses=list(cls.parents),
            subclasses=list(model.subclasses(name)),
            neo4j_labels=list(model.labels_for(name)),
            key=list(cls.key),
            properties=[_property(f.prop, lang) for f in fields.properties.values()],
            relations=[_relation_field(f, lang, model) for f in fields.relations.values()],
        )


def _name(term: Term) -> str:
    return term.name


def _labels(term: Term) -> list[LocalizedText]:
    return [LocalizedText(language=lang, text=text) for lang, text in sorted(term.labels.items())]


def _property(prop: Any, lang: str) -> OntologyProperty:
    return OntologyProperty(
        name=prop.name,
        iri=prop.iri,
        label=prop.label(lang),
        definition=prop.definition(lang),
        labels=_labels(prop),
        domain=prop.domain,
        datatype=f"xsd:{prop.xsd.rsplit('#', 1)[-1]}",
        graphql_type=prop.graphql_type,
        multi_valued=not prop.functional,
        personal_data=prop.personal_data,
        bounded_context=prop.bounded_context,
    )


def _relation(rel: Any, lang: str, name: str, direction: str, model: DomainModel) -> OntologyRelation:
    rel_type = rel.rel_type if rel.stored else model.relations[rel.inverse_of].rel_type
    return OntologyRelation(
        name=name,
        iri=rel.iri,
        label=rel.label(lang),
        definition=rel.definition(lang),
        labels=_labels(rel),
        domain=rel.domain,
        range=rel.range,
        relationship_type=rel_type,
        direction=direction,
        to_many=rel.to_many,
        inverse=rel.inverse or rel.inverse_of,
        bounded_context=rel.bounded_context,
    )


def _relation_field(field: RelationField, lang: str, model: DomainModel) -> OntologyRelation:
    if not field.derived_reverse:
        return _relation(field.relation, lang, field.name, field.direction.upper(), model)
    rel = field.relation
    found = _relation(rel, lang, field.name, "IN", model)
    found.domain, found.range, found.to_many = field.owner, field.target, True
    return found
