"""Output formats beside the published JSON: JSON-LD and GeoJSON, the Open Referral HSDS view,
the bulk exports (NDJSON, JSON, CSV, the zip) and the iCalendar feed.

Rule: imports storage, the domain and the schemas; never the web layer.
"""
