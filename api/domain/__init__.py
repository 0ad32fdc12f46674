"""The domain: what the sources say and what follows from it, as plain functions over plain data
(the status engine, when notices are in force and how long they are trusted).

Rule: imports nothing of ours (no store, formats, web, schemas) and no Flask or SQLAlchemy.
"""
