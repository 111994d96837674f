"""A deterministic simulated plant that emits the CloudEvents of its ERP, MES, CRM and QMS."""

from loaders.simulation.plant import simulate

__all__ = ["simulate"]
