"""Other standard shapes of the same records: GeoJSON (RFC 7946) for units, schema.org JSON-LD
for units, services, organizations and status notices, and the DCAT-AP catalogue. They are
built from the records as published (dicts), so every format says the same thing. No Flask.

The catalogue is one RDF graph (rdflib), written as JSON-LD or Turtle.

JSON-LD documents carry an inline `@context` (schema.org as `@vocab`), so they can be processed
without fetching a remote context.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from api.store.queries import SourceDates

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

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# Controlled vocabularies DCAT-AP asks for: the EU Vocabularies' authority tables, and IANA's
# register of media types.
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGE_URIS = {"fi": f"{EU}language/FIN", "sv": f"{EU}language/SWE", "en": f"{EU}language/ENG"}
HELSINKI = URIRef(f"{EU}place/FIN_HEL")
THEME = URIRef(f"{EU}data-theme/SOCI")
THEME_LABEL = "Population and society"
# Irregular: the data is a record of 2020–2021 that is corrected and completed when a source
# turns up, on no schedule.
FREQUENCY = URIRef(f"{EU}frequency/IRREG")
IANA = "https://www.iana.org/assignments/media-types/"
# Media types the IANA register holds; any other (NDJSON's application/x-ndjson) is named by
# its `dct:format` alone, so no link leads to a page that does not exist.
REGISTERED_MEDIA_TYPES = {"application/json", "text/csv", "application/zip"}
FILE_TYPES = {"json": "JSON", "csv": "CSV", "zip": "ZIP"}

CATALOG_CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}


def catalog_graph(
    *,
    base: str,
    title: str,
    description: str,
    publisher: str,
    contact_name: str,
    contact_url: str,
    licence_url: str,
    attribution: str,
    dates: SourceDates,
    distributions: list[dict],
    openapi_url: str,
) -> Graph:
    """A DCAT-AP 3 catalogue of the dataset, its downloads and the API as a data service.
    `distributions`: {url, title, format, media_type} each."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in CATALOG_CONTEXT.items():
        graph.bind(prefix, namespace)
    add = graph.add
    catalog = URIRef(f"{base}/catalog")
    dataset, service = URIRef(f"{base}#dataset"), URIRef(f"{base}#api")
    agent, contact = URIRef(f"{base}#publisher"), URIRef(f"{base}#contact")
    licence = URIRef(licence_url)

    def typed(node: URIRef, kind: URIRef, *pairs: tuple[URIRef, Node]) -> URIRef:
        add((node, RDF.type, kind))
        for predicate, value in pairs:
            add((node, predicate, value))
        return node

    def english(text: str) -> Literal:
        return Literal(text, lang="en")

    def web_page(url: str) -> URIRef:
        """A URL as DCAT-AP's shapes want one (access, download and endpoint URLs): typed
        rdfs:Resource, since validators check the range without RDFS inference."""
        return typed(URIRef(url), RDFS.Resource)

    typed(agent, FOAF.Agent, (FOAF.name, english(publisher)))
    typed(licence, DCTERMS.LicenseDocument)
    typed(
        contact,
        VCARD.Organization,
        (RDF.type, VCARD.Kind),
        (VCARD.fn, english(contact_name)),
        (VCARD.hasURL, URIRef(contact_url)),
    )
    languages = [typed(URIRef(uri), DCTERMS.LinguisticSystem) for uri in LANGUAGE_URIS.values()]
    described = {
        DCTERMS.title: english(title),
        DCTERMS.description: english(description),
        DCTERMS.publisher: agent,
    }
    issued = [(DCTERMS.issued, Literal(dates.first_said, datatype=XSD.date))]
    modified = [(DCTERMS.modified, Literal(dates.last_said, datatype=XSD.date))]
    said = (issued if dates.first_said else []) + (modified if dates.last_said else [])

    typed(catalog, DCAT.Catalog, *described.items(), (DCTERMS.license, licence), *said)
    for language in languages:
        add((catalog, DCTERMS.language, language))
    add((catalog, DCAT.dataset, dataset))
    add((catalog, DCAT.service, service))

    typed(dataset, DCAT.Dataset, *described.items(), *said)
    add((dataset, DCAT.contactPoint, contact))
    add((dataset, DCTERMS.license, licence))
    rights = typed(
        URIRef(f"{base}#rights"), DCTERMS.RightsStatement, (RDFS.label, english(attribution))
    )
    add((dataset, DCTERMS.rights, rights))
    for language in languages:
        add((dataset, DCTERMS.language, language))
    for keyword in ("social services", "social rehabilitation", "Helsinki", "COVID-19"):
        add((dataset, DCAT.keyword, english(keyword)))
    add((dataset, DCTERMS.spatial, typed(HELSINKI, DCTERMS.Location)))
    theme = typed(THEME, SKOS.Concept, (SKOS.prefLabel, english(THEME_LABEL)))
    add((dataset, DCAT.theme, theme))
    add((dataset, DCTERMS.accrualPeriodicity, typed(FREQUENCY, DCTERMS.Frequency)))
    if dates.first_day or dates.last_day:
        period = typed(URIRef(f"{base}#period"), DCTERMS.PeriodOfTime)
        if dates.first_day:
            add((period, DCAT.startDate, Literal(dates.first_day, datatype=XSD.date)))
        if dates.last_day:
            add((period, DCAT.endDate, Literal(dates.last_day, datatype=XSD.date)))
        add((dataset, DCTERMS.temporal, period))

    for item in distributions:
        url = web_page(item["url"])
        typed(
            url,
            DCAT.Distribution,
            (DCTERMS.title, english(item["title"])),
            (DCAT.accessURL, url),
            (DCAT.downloadURL, url),
            (DCTERMS.license, licence),
            (DCTERMS.rights, rights),
        )
        if item["media_type"] in REGISTERED_MEDIA_TYPES:
            media_type = URIRef(IANA + item["media_type"])
            add((url, DCAT.mediaType, typed(media_type, DCTERMS.MediaType)))
        if item["format"] in FILE_TYPES:
            file_type = URIRef(f"{EU}file-type/{FILE_TYPES[item['format']]}")
        else:  # no authority names it: the format as its media type says it
            file_type = URIRef(f"{base}#format-{item['format']}")
            add((file_type, RDFS.label, Literal(item["media_type"])))
        add((url, DCTERMS["format"], typed(file_type, DCTERMS.MediaTypeOrExtent)))
        add((dataset, DCAT.distribution, url))

    typed(
        service,
        DCAT.DataService,
        (DCTERMS.title, english(f"{title} — API")),
        (DCAT.endpointURL, web_page(base)),
        (DCAT.endpointDescription, web_page(openapi_url)),
        (DCAT.servesDataset, dataset),
        (DCAT.contactPoint, contact),
        (DCTERMS.publisher, agent),
        (DCTERMS.license, licence),
    )
    add((service, DCAT.theme, theme))
    return graph


def _ordered(value: object) -> object:
    """A compacted JSON-LD value with its keys and its (unordered) arrays sorted, so that the
    same graph is always written as the same bytes."""
    if isinstance(value, dict):
        return {key: _ordered(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        items = [_ordered(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def catalog_jsonld(graph: Graph) -> str:
    """The catalogue as compacted JSON-LD with an inline context."""
    document = json.loads(graph.serialize(format="json-ld", context=CATALOG_CONTEXT))
    return json.dumps(_ordered(document), ensure_ascii=False, separators=(",", ":"))


def catalog_turtle(graph: Graph) -> str:
    return graph.serialize(format="turtle")
