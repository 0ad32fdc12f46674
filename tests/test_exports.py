"""Bulk downloads and the other standard formats: NDJSON, JSON, CSV, the zip archive, GeoJSON,
schema.org JSON-LD and the DCAT-AP catalogue."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pyshacl
import pytest
import rdflib
from conftest import get_all
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS

SDO = rdflib.Namespace("https://schema.org/")
COLLECTIONS = {
    "units": 10,
    "services": 4,
    "organizations": 3,
    "access-channels": 21,
    "status-notices": 13,
    "notice-versions": 3,
    "opening-hours": 2,
    "announcements": 1,
    "staff-duties": 8,
}


def test_the_dump_list_names_every_download_with_the_licence(client):
    body = client.get("/v1/dumps").json
    assert body["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "City of Helsinki" in body["attribution"]
    formats = {(d["collection"], d["format"]) for d in body["dumps"]}
    assert formats == {(c, f) for c in COLLECTIONS for f in ("ndjson", "json", "csv")} | {
        ("dataset", "zip")
    }
    for dump in body["dumps"]:
        response = client.get(dump["url"])
        assert response.status_code == 200, dump["url"]
        assert response.get_data()  # a streamed body is read to its end
        assert response.mimetype == dump["media_type"]
        assert response.headers["ETag"]


@pytest.mark.parametrize("collection,total", COLLECTIONS.items())
def test_ndjson_and_json_dumps_hold_every_record_as_published(client, collection, total):
    lines = client.get(f"/v1/dumps/{collection}.ndjson").data.decode("utf-8").splitlines()
    head, *records = [json.loads(line) for line in lines]
    assert len(records) == total
    published = {r["id"]: r for r in get_all(client, f"/v1/{collection}?page_size=500")}
    assert {r["id"]: r for r in records} == published
    cursor = client.get("/v1/changes?page_size=1").json  # any page: its cursor is not the head
    assert head == {
        "dump": {
            "collection": collection,
            "count": total,
            "data_version": head["dump"]["data_version"],
            "change_feed_cursor": head["dump"]["change_feed_cursor"],
            "changes": f"/v1/changes?since={head['dump']['change_feed_cursor']}",
        }
    }
    assert head["dump"]["change_feed_cursor"] != cursor["cursor"]
    assert json.loads(client.get(f"/v1/dumps/{collection}.json").data) == {
        **head["dump"],
        "results": records,
    }


def test_csv_reads_back_with_a_column_per_language(client):
    response = client.get("/v1/dumps/units.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert len(rows) == 10
    pakila = next(row for row in rows if row["id"] == "pakila-work-centre")
    assert (pakila["name_fi"], pakila["name_sv"], pakila["name_en"]) == (
        "Pakilan työkeskus",
        "Baggböle arbetscentral",
        "Pakila Work Centre",
    )
    assert pakila["phone"] == "'+358 9 3106 9740"  # not a formula (tests/test_hardening_http.py)
    assert pakila["postal_address_po_box"] == "8642"
    assert pakila["service_ids"].split() == [
        "rehabilitating-work-activities",
        "work-activities-for-people-with-disabilities",
    ]
    assert pakila["latitude"] == ""  # unknown stays empty, never 0
    office = next(row for row in rows if row["id"] == "social-rehabilitation-office")
    assert office["visiting_address_street_address_sv"] == "Silvervägen 6"
    assert office["name_fi"] == ""


def test_csv_of_access_channels_has_every_types_fields(client):
    rows = list(
        csv.DictReader(io.StringIO(client.get("/v1/dumps/access-channels.csv").data.decode()))
    )
    assert {"type", "number", "contact_by", "url_fi", "address_po_box", "name_sv"} <= set(rows[0])
    fax = next(row for row in rows if row["id"] == "uusix-workshops-fax")
    assert (fax["type"], fax["number"], fax["contact_by"]) == ("fax", "'+358 9 3108 9514", "")


def test_the_dataset_archive_has_every_collection_and_the_licence(client):
    response = client.get("/v1/dumps/dataset.zip")
    assert response.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    assert bundle.testzip() is None
    names = set(bundle.namelist())
    assert names == {"README.txt"} | {f"{c}.{f}" for c in COLLECTIONS for f in ("ndjson", "csv")}
    assert "CC BY 4.0" in bundle.read("README.txt").decode()
    assert bundle.read("units.ndjson") == client.get("/v1/dumps/units.ndjson").data


def test_dumps_reject_unknown_collections_and_parameters(client):
    assert client.get("/v1/dumps/secrets.ndjson").status_code == 404
    assert client.get("/v1/dumps/units.xml").status_code == 404
    assert client.get("/v1/dumps/units.csv?sep=;").status_code == 400


# --- GeoJSON ---------------------------------------------------------------------------------


def assert_rfc7946_feature(feature: dict) -> None:
    assert feature["type"] == "Feature"
    assert set(feature) >= {"type", "geometry", "properties"}
    geometry = feature["geometry"]
    if geometry is not None:
        assert geometry["type"] == "Point"
        longitude, latitude = geometry["coordinates"]
        assert -180 <= longitude <= 180 and -90 <= latitude <= 90
    assert isinstance(feature["properties"], dict)
    assert isinstance(feature.get("id"), str | int)


@pytest.mark.parametrize(
    "url,headers",
    [
        ("/v1/units?format=geojson&page_size=500", {}),
        ("/v1/units?page_size=500", {"Accept": "application/geo+json"}),
    ],
)
def test_units_as_a_geojson_feature_collection(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = response.json
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 10 == collection["count"]
    for feature in collection["features"]:
        assert_rfc7946_feature(feature)
        assert feature["geometry"] is None  # no source gives coordinates
    pakila = next(f for f in collection["features"] if f["id"] == "pakila-work-centre")
    assert pakila["properties"]["name"]["en"] == "Pakila Work Centre"
    assert "latitude" not in pakila["properties"]


def test_one_unit_as_a_geojson_feature(client):
    feature = client.get("/v1/units/uusix-workshops?format=geojson").json
    assert_rfc7946_feature(feature)
    assert feature["id"] == "uusix-workshops"


def test_a_unit_with_coordinates_gets_a_point(client):
    from api.formats.linked_data import unit_feature

    feature = unit_feature({"id": "x", "latitude": 60.17, "longitude": 24.94, "name": {}})
    assert feature["geometry"] == {"type": "Point", "coordinates": [24.94, 60.17]}


# --- schema.org JSON-LD ----------------------------------------------------------------------


def graph_of(response) -> rdflib.Graph:
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    return rdflib.Graph().parse(data=response.data, format="json-ld")


def test_units_are_civic_structures_with_opening_hours(client):
    graph = graph_of(
        client.get("/v1/units/pakila-work-centre", headers={"Accept": "application/ld+json"})
    )
    unit = rdflib.URIRef("http://localhost/v1/units/pakila-work-centre")
    assert (unit, RDF.type, SDO.CivicStructure) in graph
    names = {str(name) for name in graph.objects(unit, SDO.name)}
    assert {"Pakilan työkeskus", "Baggböle arbetscentral", "Pakila Work Centre"} == names
    hours = list(graph.objects(unit, SDO.openingHoursSpecification))
    assert len(hours) == 1
    assert (hours[0], RDF.type, SDO.OpeningHoursSpecification) in graph
    assert str(graph.value(hours[0], SDO.opens)) == "08:00"
    assert (hours[0], SDO.dayOfWeek, SDO.Monday) in graph
    assert str(graph.value(unit, SDO.telephone)) == "+358 9 3106 9740"


def test_services_are_government_services_with_channels(client):
    graph = graph_of(client.get("/v1/services/rehabilitating-work-activities?format=jsonld"))
    service = rdflib.URIRef("http://localhost/v1/services/rehabilitating-work-activities")
    assert (service, RDF.type, SDO.GovernmentService) in graph
    channels = list(graph.objects(service, SDO.availableChannel))
    assert len(channels) == 4  # three referral routes and the distance service
    assert all((c, RDF.type, SDO.ServiceChannel) in graph for c in channels)


def test_notices_are_covid_special_announcements(client):
    graph = graph_of(client.get("/v1/status-notices?format=jsonld&page_size=500"))
    announcements = set(graph.subjects(RDF.type, SDO.SpecialAnnouncement))
    assert len(announcements) == 13
    closure = rdflib.URIRef("http://localhost/v1/status-notices/covid-2021-summer-closure")
    assert (
        closure,
        SDO.category,
        rdflib.URIRef("https://www.wikidata.org/wiki/Q81068910"),
    ) in graph or (
        str(graph.value(closure, SDO.category)) == "https://www.wikidata.org/wiki/Q81068910"
    )
    assert str(graph.value(closure, SDO.expires)) == "2021-07-30"


def test_the_organization_is_a_government_organization(client):
    graph = graph_of(client.get("/v1/organizations?format=jsonld"))
    city = rdflib.URIRef("http://localhost/v1/organizations/city-of-helsinki")
    assert (city, RDF.type, SDO.GovernmentOrganization) in graph
    division = rdflib.URIRef(
        "http://localhost/v1/organizations/social-services-and-health-care-division"
    )
    assert (division, SDO.parentOrganization, city) in graph


# --- DCAT-AP ---------------------------------------------------------------------------------


SHAPES = Path(__file__).parent / "data" / "dcat-ap-3-shapes.ttl"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")


def catalogue(client, **headers) -> tuple[rdflib.Graph, rdflib.URIRef]:
    graph = graph_of(client.get("/v1/catalog", headers=headers))
    [dataset] = graph.subjects(RDF.type, DCAT.Dataset)
    return graph, dataset


def test_the_catalogue_describes_the_dataset_its_downloads_and_the_api(client):
    graph, dataset = catalogue(client)
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    assert (catalog, DCAT.dataset, dataset) in graph
    assert "social rehabilitation" in str(graph.value(dataset, DCTERMS.title))
    assert graph.value(dataset, DCTERMS.description)
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert "City of Helsinki" in str(graph.value(publisher, FOAF.name))
    assert graph.value(dataset, DCTERMS.license) == rdflib.URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(client.get("/v1/dumps").json["dumps"])
    [service] = graph.subjects(RDF.type, DCAT.DataService)
    assert graph.value(service, DCAT.endpointDescription) == rdflib.URIRef(
        "http://localhost/v1/openapi.json"
    )
    assert (service, DCAT.servesDataset, dataset) in graph


def test_the_catalogue_has_dcat_aps_recommended_properties(client):
    graph, dataset = catalogue(client)
    contact = graph.value(dataset, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.fn) and graph.value(contact, VCARD.hasURL)
    assert set(graph.objects(dataset, DCTERMS.language)) == {
        rdflib.URIRef(f"{EU}language/{code}") for code in ("FIN", "SWE", "ENG")
    }
    assert graph.value(dataset, DCTERMS.spatial) == rdflib.URIRef(f"{EU}place/FIN_HEL")
    assert graph.value(dataset, DCAT.theme) == rdflib.URIRef(f"{EU}data-theme/SOCI")
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == rdflib.URIRef(f"{EU}frequency/IRREG")
    for distribution in graph.objects(dataset, DCAT.distribution):
        file_type = graph.value(distribution, DCTERMS["format"])
        assert isinstance(file_type, rdflib.URIRef), distribution  # not a plain literal
        media_type = graph.value(distribution, DCAT.mediaType)
        if str(distribution).endswith(".ndjson"):  # IANA registers no NDJSON type
            assert media_type is None
            assert str(graph.value(file_type, RDFS.label)) == "application/x-ndjson"
        else:
            assert isinstance(media_type, rdflib.URIRef) and str(media_type).startswith(IANA)
    media_types = {str(m) for m in graph.objects(None, DCAT.mediaType)}
    assert media_types == {f"{IANA}text/csv", f"{IANA}application/json", f"{IANA}application/zip"}


def _source_dates(client) -> tuple[list[date], list[date]]:
    """The days the records say a source said something, and every other day they name."""
    said, valid = [], []
    for collection, said_fields, valid_fields in [
        ("notice-versions", ["published_on"], ["valid_until"]),
        ("status-notices", ["stated_on"], ["valid_from", "valid_until"]),
        ("announcements", ["stated_on"], ["valid_from", "valid_until"]),
        ("opening-hours", ["verified_on"], ["valid_from", "valid_until"]),
    ]:
        for record in get_all(client, f"/v1/{collection}?page_size=500"):
            for names, days in ((said_fields, said), (valid_fields, valid)):
                days += [date.fromisoformat(record[n]) for n in names if record[n]]
    return said, valid


def test_the_catalogues_dates_are_the_datas_not_the_servers(client):
    graph, dataset = catalogue(client)
    said, valid = _source_dates(client)
    assert graph.value(dataset, DCTERMS.issued).toPython() == min(said)
    assert graph.value(dataset, DCTERMS.modified).toPython() == max(said)
    period = graph.value(dataset, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate).toPython() == min(said + valid)
    assert graph.value(period, DCAT.endDate).toPython() == max(said + valid)
    assert max(said + valid).year == 2021  # the data's years, not the day it was loaded


@pytest.mark.parametrize(
    "query, headers",
    [
        ("", {"Accept": "text/turtle"}),
        ("?format=ttl", {}),
        ("", {"Accept": "application/ld+json;q=0.5, text/turtle"}),
    ],
)
def test_the_catalogue_in_turtle_is_the_same_graph_as_in_json_ld(client, query, headers):
    turtle = client.get(f"/v1/catalog{query}", headers=headers)
    assert turtle.status_code == 200
    assert turtle.mimetype == "text/turtle"
    assert "Vary" in turtle.headers and "Accept" in turtle.headers["Vary"]
    as_turtle = rdflib.Graph().parse(data=turtle.data, format="turtle")
    as_jsonld, _dataset = catalogue(client)
    assert len(as_turtle) > 100
    assert isomorphic(as_turtle, as_jsonld)
    # The same bytes each time: one strong ETag never names two bodies.
    assert client.get(f"/v1/catalog{query}", headers=headers).data == turtle.data


def test_the_catalogue_is_json_ld_by_default_and_406_for_what_it_does_not_offer(client):
    assert client.get("/v1/catalog").mimetype == "application/ld+json"
    assert client.get("/v1/catalog", headers={"Accept": "*/*"}).mimetype == "application/ld+json"
    plain = client.get("/v1/catalog", headers={"Accept": "application/json"})
    assert plain.mimetype == "application/json"
    response = client.get("/v1/catalog", headers={"Accept": "application/rdf+xml"})
    assert response.status_code == 406
    assert response.mimetype == "application/problem+json"
    assert "text/turtle" in response.json["detail"]
    assert client.get("/v1/catalog?format=rdf").status_code == 400


def test_the_catalogue_meets_the_dcat_ap_3_shapes(client):
    for headers in ({"Accept": "application/ld+json"}, {"Accept": "text/turtle"}):
        conforms, report = shacl_report(catalogue_graph(client, headers))
        assert conforms, report


def catalogue_graph(client, headers: dict[str, str]) -> rdflib.Graph:
    response = client.get("/v1/catalog", headers=headers)
    fmt = "turtle" if response.mimetype == "text/turtle" else "json-ld"
    return rdflib.Graph().parse(data=response.data, format=fmt)


def shacl_report(graph: rdflib.Graph) -> tuple[bool, str]:
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    conforms, _graph, report = pyshacl.validate(graph, shacl_graph=shapes)
    return conforms, report


def _untyped_urls(graph: rdflib.Graph) -> None:
    graph.remove((None, RDF.type, RDFS.Resource))


def _second_value(subject_class: rdflib.URIRef, path: rdflib.URIRef, value) -> object:  # noqa: ANN001
    def change(graph: rdflib.Graph) -> None:
        subject = next(graph.subjects(RDF.type, subject_class))
        graph.add((subject, path, value))

    return change


def _strip(path: rdflib.URIRef) -> object:
    def change(graph: rdflib.Graph) -> None:
        graph.remove((None, path, None))

    return change


def _in_a_series_that_is_not_one(graph: rdflib.Graph) -> None:
    [dataset] = graph.subjects(RDF.type, DCAT.Dataset)
    in_series = rdflib.URIRef(f"{DCAT}inSeries")  # DCAT 3, which rdflib's DCAT lacks
    graph.add((dataset, in_series, rdflib.URIRef("http://localhost/v1#not-a-series")))


SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
TODAY = rdflib.Literal("2021-03-01", datatype=rdflib.XSD.date)


@pytest.mark.parametrize(
    "change,named",
    [
        # The ranges are checked without inference: a URL must be said to be a resource.
        (_untyped_urls, "accessURL"),
        (_strip(DCAT.accessURL), "accessURL"),
        (_strip(FOAF.name), "name"),
        (_strip(DCAT.endpointURL), "endpointURL"),
        (_strip(SKOS.prefLabel), "prefLabel"),
        (_second_value(DCAT.Dataset, DCTERMS.modified, TODAY), "modified"),
        (_second_value(DCAT.Catalog, DCTERMS.publisher, rdflib.URIRef("http://x.org/p")), "publ"),
        (_second_value(DCAT.Distribution, DCTERMS["format"], rdflib.URIRef(IANA)), "format"),
        (_second_value(DCTERMS.PeriodOfTime, DCAT.startDate, TODAY), "startDate"),
        (_second_value(DCTERMS.LicenseDocument, DCTERMS.type, rdflib.Literal("open")), "type"),
        (_second_value(DCAT.Distribution, DCAT.byteSize, rdflib.Literal("big")), "byteSize"),
        (_second_value(DCAT.Dataset, DCAT.keyword, rdflib.URIRef("http://x.org/k")), "keyword"),
        (_in_a_series_that_is_not_one, "inSeries"),
    ],
)
def test_the_dcat_ap_3_shapes_refuse_what_dcat_ap_does(client, change, named):
    """Each rule the shapes check does bite: the catalogue with one thing broken fails it."""
    graph = catalogue_graph(client, {"Accept": "text/turtle"})
    change(graph)
    conforms, report = shacl_report(graph)
    assert not conforms
    assert named in report
