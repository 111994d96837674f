"""Personal data: which properties it is, and who may see it — one rule for every path.

The compiled ontology decides what is personal (``ds:personalData true`` on a property); a
caller sees it only with the role ``personal-data`` (:attr:`Principal.may_see_personal_data`).
GraphQL, subscriptions, the explore API, products, Cypher and SPARQL each mask in their own form
(``null`` and ``maskedFields``, a refused statement, a dataset without the personal graph), all
by these two facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model is only read here: importing security stays cheap
    from graph_service.ontology.model import DomainModel


def personal_properties(model: DomainModel) -> frozenset[str]:
    """The names of the properties ``model`` marks ``ds:personalData``."""
    return frozenset(p.name for p in model.datatype_properties.values() if p.personal_data)
