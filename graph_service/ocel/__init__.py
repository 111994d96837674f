"""OCEL 2.0 object-centric event logs: the log model, its JSON and SQLite forms, and the export of
the graph as a log (the import is the adapter :mod:`loaders.adapters.ocel` and a mapping pack)."""
