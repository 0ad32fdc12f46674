"""Storage: the database (engine and sessions, typed models, migrations), the one declaration of
each collection, queries, derived tables, full-text search, history, the loader, writes, tokens
and the generated benchmark dataset.

Rule: imports the domain, the schemas and `api.problems`; never formats or the web layer.
"""
