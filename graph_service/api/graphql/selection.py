"""The fields a GraphQL selection asks for, with fragments and @skip/@include applied."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_argument_values,
    get_directive_values,
)
from graphql.type import GraphQLSchema

try:  # graphql-core ≥ 3.3 reads variables from a container; 3.2 from the plain dict
    from graphql.execution.values import VariableValues
except ImportError:  # pragma: no cover - graphql-core 3.2
    VariableValues = None  # type: ignore[assignment,misc]


@dataclass(frozen=True)
class SelectedField:
    """One occurrence of a field: its AST node and the type whose field it is."""

    node: FieldNode
    owner: str

    @property
    def name(self) -> str:
        return self.node.name.value


@dataclass(frozen=True)
class OperationContext:
    """What resolving selections needs from the operation (graphql-core's resolve info)."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variable_values: Any

    @classmethod
    def of(cls, info: Any) -> OperationContext:
        return cls(info.schema, info.fragments, _variable_values(info.variable_values))

    def subfields(self, nodes: Iterable[FieldNode], type_name: str) -> dict[str, list[SelectedField]]:
        """Sub-fields of ``nodes`` by response key, in query order, across all fragments."""
        found: dict[str, list[SelectedField]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self._visit(node.selection_set, type_name, found)
        return found

    def arguments(self, field: SelectedField) -> dict[str, Any]:
        """The coerced argument values of one field occurrence (variables and defaults applied)."""
        definition = self.schema.get_type(field.owner).fields[field.name]  # type: ignore[union-attr]
        return get_argument_values(definition, field.node, self.variable_values)

    def _visit(
        self, selection_set: SelectionSetNode, owner: str, found: dict[str, list[SelectedField]]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found.setdefault(key, []).append(SelectedField(selection, owner))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else owner
                self._visit(selection.selection_set, condition, found)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                self._visit(fragment.selection_set, fragment.type_condition.name.value, found)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variable_values)
        if skip and skip["if"]:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variable_values)
        return not (include is not None and not include["if"])


def _variable_values(values: Any) -> Any:
    """Strawberry hands resolvers the plain dict of coerced variables; wrap it for graphql-core."""
    if VariableValues is not None and isinstance(values, dict):
        return VariableValues(sources={}, coerced=values)
    return values
