"""One Blueprint per collection, and the few routes beside them. `MODULES` fixes registration
order and the order of the docs' tags: the index, the collections as declared
(api/store/collections.py), then the change feed, the dumps, the catalogue and the HSDS view."""

from importlib import import_module

from api.resources import catalog, changes, dumps, hsds, index
from api.store.collections import COLLECTIONS

MODULES = (
    index,
    *(import_module(c.resource_module) for c in COLLECTIONS),
    changes,
    dumps,
    catalog,
    hsds,
)
