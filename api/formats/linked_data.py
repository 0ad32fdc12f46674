"""Other standard shapes of the same records: GeoJSON (RFC 7946) for units, schema.org JSON-LD
for units, services, organizations and status notices, and the DCAT-AP catalogue. They are
built from the records as published (dicts), so every format says the same thing. No Flask.

JSON-LD documents carry an inline `@context` (schema.org as `@vocab`), so they can be processed
without fetching a remote context.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

SCHEMA_CONTEXT = {"@vocab": "https://schema.org/", "schema": "https://schema.org/"}
COVID_19 = "https://www.wikidata.org/wiki/Q81068910"
DAY_NAMES = {
    "monday": "Monday",
    "tuesday": "Tuesday",
    "wednesday": "Wednesday",
    "thursday": "Thursday",
    "friday": "Friday",
    "saturday": "Saturday",
    "sunday": "Sunday",
}


# --- GeoJSON ---------------------------------------------------------------------------------


def unit_feature(unit: dict) -> dict:
    """A unit as a GeoJSON Feature. No source gives coordinates, so `geometry` is null unless
    both latitude and longitude are known (RFC 7946 allows null geometry)."""
    latitude, longitude = unit.get("latitude"), unit.get("longitude")
    geometry = None
    if latitude is not None and longitude is not None:
        geometry = {"type": "Point", "coordinates": [longitude, latitude]}
    properties = {k: v for k, v in unit.items() if k not in ("latitude", "longitude")}
    return {"type": "Feature", "id": unit["id"], "geometry": geometry, "properties": properties}


def feature_collection(units: Iterable[dict], page: dict | None = None) -> dict:
    collection: dict = {"type": "FeatureCollection"}
    if page is not None:  # foreign members, as RFC 7946 allows
        collection.update({key: page[key] for key in ("count", "next", "previous")})
    collection["features"] = [unit_feature(unit) for unit in units]
    return collection


# --- schema.org ------------------------------------------------------------------------------


def _text(localized: dict | None) -> list[dict] | None:
    """A LocalizedString as JSON-LD language-tagged values."""
    if not localized:
        return None
    values = [{"@value": text, "@language": lang} for lang, text in localized.items() if text]
    return values or None


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    return _without_nulls(
        {
            "@type": "PostalAddress",
            "streetAddress": _text(address.get("street_address")),
            "postalCode": address.get("postal_code"),
            "addressLocality": _text(address.get("locality")),
            "postOfficeBoxNumber": address.get("po_box"),
            "addressCountry": "FI",
        }
    )


def _without_nulls(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, [], {})}


def _hours_specifications(unit: dict) -> tuple[list[dict], list[dict]]:
    regular: list[dict] = []
    special: list[dict] = []
    for record in unit.get("opening_hours", []):
        target = regular if record["kind"] == "regular" else special
        spans = record["spans"] or [{"weekdays": [], "opens": "00:00", "closes": "00:00"}]
        for span in spans:
            target.append(
                _without_nulls(
                    {
                        "@type": "OpeningHoursSpecification",
                        "dayOfWeek": [
                            {"@id": f"https://schema.org/{DAY_NAMES[day]}"}
                            for day in span["weekdays"]
                        ],
                        "opens": span["opens"],
                        "closes": span["closes"],
                        "validFrom": record.get("valid_from"),
                        "validThrough": record.get("valid_until"),
                    }
                )
            )
    return regular, special


def unit_ld(unit: dict, base: str) -> dict:
    regular, special = _hours_specifications(unit)
    return _without_nulls(
        {
            "@type": "CivicStructure",
            "@id": f"{base}/units/{unit['id']}",
            "identifier": unit["id"],
            "name": _text(unit["name"]),
            "description": _text(unit.get("description")),
            "address": _address(unit.get("visiting_address")),
            "telephone": unit.get("phone"),
            "faxNumber": unit.get("fax"),
            "url": [url for url in (unit.get("web_page") or {}).values() if url] or None,
            "openingHoursSpecification": regular,
            "specialOpeningHoursSpecification": special,
            "containedInPlace": (
                {"@id": f"{base}/units/{unit['parent_id']}"} if unit.get("parent_id") else None
            ),
            "dateModified": unit["modified_at"],
        }
    )


def _channel(channel: dict, base: str) -> dict:
    kind = channel["type"]
    data = {
        "@type": "ServiceChannel",
        "@id": f"{base}/access-channels/{channel['id']}",
        "name": _text(channel.get("name")),
        "description": _text(channel.get("description")),
        "additionalType": kind,
    }
    if kind in ("phone",):
        data["servicePhone"] = {"@type": "ContactPoint", "telephone": channel["number"]}
    if kind == "fax":
        data["servicePhone"] = {"@type": "ContactPoint", "faxNumber": channel["number"]}
    if kind == "visiting_address":
        data["serviceLocation"] = {"@type": "Place", "address": _address(channel["address"])}
    if kind == "postal_address":
        data["servicePostalAddress"] = _address(channel["address"])
    if kind == "web_page":
        data["serviceUrl"] = [url for url in channel["url"].values() if url]
    return _without_nulls(data)


def service_ld(service: dict, base: str) -> dict:
    return _without_nulls(
        {
            "@type": "GovernmentService",
            "@id": f"{base}/services/{service['id']}",
            "identifier": service["id"],
            "name": _text(service["name"]),
            "description": _text(service.get("description")),
            "provider": {"@id": f"{base}/organizations/{service['organization_id']}"},
            "availableChannel": [_channel(c, base) for c in service.get("access_channels", [])],
            "areaServed": {"@type": "City", "name": "Helsinki"},
            "isAccessibleForFree": service.get("free_of_charge"),
            "dateModified": service["modified_at"],
        }
    )


def organization_ld(organization: dict, base: str) -> dict:
    return _without_nulls(
        {
            "@type": "GovernmentOrganization",
            "@id": f"{base}/organizations/{organization['id']}",
            "identifier": organization["id"],
            "name": _text(organization["name"]),
            "description": _text(organization.get("description")),
            "parentOrganization": (
                {"@id": f"{base}/organizations/{organization['parent_id']}"}
                if organization.get("parent_id")
                else None
            ),
        }
    )


def notice_ld(notice: dict, base: str) -> dict:
    return _without_nulls(
        {
            "@type": "SpecialAnnouncement",
            "@id": f"{base}/status-notices/{notice['id']}",
            "identifier": notice["id"],
            "name": notice["state"].replace("_", " "),
            "text": _text(notice["text"]),
            "category": COVID_19,
            "datePosted": notice.get("stated_on"),
            "expires": notice.get("in_force_until"),
            "announcementLocation": [
                {"@type": "CivicStructure", "@id": f"{base}/units/{unit_id}"}
                for unit_id in notice["unit_ids"]
            ],
            "about": [
                {"@type": "GovernmentService", "@id": f"{base}/services/{service_id}"}
                for service_id in notice["service_ids"]
            ],
            "url": notice["source_urls"],
        }
    )


JSONLD_BUILDERS = {
    "units": unit_ld,
    "services": service_ld,
    "organizations": organization_ld,
    "status-notices": notice_ld,
}


def document(nodes: list[dict]) -> dict:
    """One JSON-LD document: a single node, or a graph of several."""
    if len(nodes) == 1:
        return {"@context": SCHEMA_CONTEXT, **nodes[0]}
    return {"@context": SCHEMA_CONTEXT, "@graph": nodes}


# --- DCAT-AP 3 -------------------------------------------------------------------------------

DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dct:issued": {"@type": "xsd:dateTime"},
    "dct:modified": {"@type": "xsd:dateTime"},
}


def catalog(
    *,
    base: str,
    title: str,
    description: str,
    publisher: str,
    licence_url: str,
    attribution: str,
    issued: datetime | None,
    modified: datetime | None,
    distributions: list[dict],
    openapi_url: str,
) -> dict:
    """A DCAT-AP catalogue of the dataset, its downloads and the API as a data service."""
    dataset_id = f"{base}#dataset"
    publisher_node = {"@id": f"{base}#publisher", "@type": "foaf:Agent", "foaf:name": publisher}
    licence = {"@id": licence_url, "@type": "dct:LicenseDocument"}
    dates = {}
    if issued:
        dates["dct:issued"] = issued.isoformat()
    if modified:
        dates["dct:modified"] = modified.isoformat()
    return {
        "@context": DCAT_CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": title, "@language": "en"},
        "dct:description": {"@value": description, "@language": "en"},
        "dct:publisher": publisher_node,
        "dct:license": licence,
        **dates,
        "dcat:dataset": {
            "@id": dataset_id,
            "@type": "dcat:Dataset",
            "dct:title": {"@value": title, "@language": "en"},
            "dct:description": {"@value": description, "@language": "en"},
            "dct:publisher": publisher_node,
            "dct:license": licence,
            "dct:rights": {"@type": "dct:RightsStatement", "dct:description": attribution},
            "dcat:keyword": ["social services", "social rehabilitation", "Helsinki", "COVID-19"],
            "dct:spatial": {
                "@id": "http://publications.europa.eu/resource/authority/place/FIN_HEL"
            },
            **dates,
            "dcat:distribution": [
                {
                    "@id": item["url"],
                    "@type": "dcat:Distribution",
                    "dct:title": item["title"],
                    "dcat:accessURL": {"@id": item["url"]},
                    "dcat:downloadURL": {"@id": item["url"]},
                    "dcat:mediaType": {
                        "@id": f"https://www.iana.org/assignments/media-types/{item['media_type']}"
                    },
                    "dct:format": item["format"],
                    "dct:license": licence,
                }
                for item in distributions
            ],
        },
        "dcat:service": {
            "@id": f"{base}#api",
            "@type": "dcat:DataService",
            "dct:title": {"@value": f"{title} — API", "@language": "en"},
            "dcat:endpointURL": {"@id": base},
            "dcat:endpointDescription": {"@id": openapi_url},
            "dcat:servesDataset": {"@id": dataset_id},
            "dct:license": licence,
        },
    }
