"""The web layer: the house's Api and Blueprint, problem responses, pagination and cursors,
conditional GETs and caching, rate limits, the editor API's authentication and
write routes, the docs, the CLI and the settings.

Rule: imports everything below it (formats, storage, domain, schemas); only the app factory
(`api/__init__.py`) and the resources (`api/resources/`) import it.
"""
