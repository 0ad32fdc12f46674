"""The seed fact sheet (FACTS.md), proved over HTTP against the shipped dataset.

Each test reads one topic of the fact sheet through the public API. A value the sources do not
give must come back as null, so the nulls are asserted as carefully as the values.
"""

from __future__ import annotations

import pytest
from conftest import get_all

PRIMARY = "https://www.hel.fi/helsinki/en/socia-health/socia-support/employment/rehab-counselling/"
SV_WORK_REHAB = (
    "https://www.hel.fi/helsinki/sv/social-och-halso/ekonomiskt/sysselsattning/arbete-rehab"
)
UUSIX_PAGE = "https://hel.fi/helsinki/en/socia-health/socia-support/employment/uusix/"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
WORK_SITES = ["non-institutional-work-activities", "pakila-work-centre", "uusix-workshops"]
UUSIX_SITES = ["uusix-kylasaari", "uusix-suvilahti"]
SHOPS = [
    "pakila-shop-and-pick-up-point",
    "uusix-bike-and-computer-recycling",
    "uusix-building-parts-recycling",
]


def loc(fi=None, sv=None, en=None) -> dict:
    """A LocalizedString as the API returns it: null for every language no source gives."""
    return {"fi": fi, "sv": sv, "en": en}


def get_ok(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.json


def in_force(client, instant: str, **filters) -> list[str]:
    """Ids of the status notices in force at a Helsinki-local instant ("2021-03-15T10:00")."""
    query = "".join(f"&{key}={value}" for key, value in filters.items())
    url = f"/v1/status-notices?page_size=500&active_at={instant}:00%2B02:00{query}"
    return sorted(notice["id"] for notice in get_all(client, url))


# --- Organisation ---------------------------------------------------------------------------


def test_organisation_chain_city_division_team(client):
    """City -> division -> team, named in every language a source gives; the team has no fi."""
    team = get_ok(client, "/v1/organizations/social-rehabilitation-team")
    assert team["type"] == "team"
    assert team["name"] == loc(sv="Enheten för social rehabilitering", en="Social rehabilitation")
    assert "Social rehabilitering" in team["notes"]
    assert "More than 1,100 clients at a time" in team["notes"]  # the scale, May 2020

    division = get_ok(client, f"/v1/organizations/{team['parent_id']}")
    assert division["id"] == "social-services-and-health-care-division"
    assert division["type"] == "division"
    assert division["name"] == loc(
        "Sosiaali- ja terveystoimiala",
        "Social- och hälsovårdssektorn",
        "Social Services and Health Care Division",
    )

    city = get_ok(client, f"/v1/organizations/{division['parent_id']}")
    assert city["id"] == "city-of-helsinki"
    assert city["parent_id"] is None
    assert city["name"] == loc("Helsingin kaupunki", "Helsingfors stad", "City of Helsinki")


# --- Units ----------------------------------------------------------------------------------

PARENTS = {
    "social-rehabilitation-office": None,
    "pakila-work-centre": None,
    "pakila-shop-and-pick-up-point": "pakila-work-centre",
    "non-institutional-work-activities": None,
    "uusix-workshops": None,
    "uusix-kylasaari": "uusix-workshops",
    "uusix-suvilahti": "uusix-workshops",
    "uusix-building-parts-recycling": "uusix-kylasaari",
    "uusix-bike-and-computer-recycling": "uusix-kylasaari",
    "uusix-pop-up-shop-hakaniemi": "uusix-workshops",
}
UNIT_NAMES = {
    "social-rehabilitation-office": loc(sv="Social rehabilitering", en="Social rehabilitation"),
    "pakila-work-centre": loc("Pakilan työkeskus", "Baggböle arbetscentral", "Pakila Work Centre"),
    "pakila-shop-and-pick-up-point": loc(
        sv="Baggböle arbetscentrals butik och avhämtningspunkt",
        en="Shop and pick-up point of Pakila work centre",
    ),
    "non-institutional-work-activities": loc(
        "Avotyötoiminta", "Öppna arbetsverksamheten", "Non-institutional work activities"
    ),
    "uusix-workshops": loc("Uusix-verstaat", "Uusix-verkstäder", "Uusix workshops"),
    "uusix-kylasaari": loc(
        "Uusix-verstas Kyläsaari", "Uusix-verkstäderna i Byholmen", "Uusix-Kyläsaari"
    ),
    "uusix-suvilahti": loc(
        "Uusix-verstas Suvilahti", "Uusix-verkstäderna i Södervik", "Uusix-Suvilahti"
    ),
    "uusix-building-parts-recycling": loc(
        "Rakennusosien kierrätys", "Återvinning av byggdelar", "Recycling of building parts"
    ),
    "uusix-bike-and-computer-recycling": loc(
        sv="Återvinning av cyklar och datorer", en="Recycling of bikes and computers"
    ),
    "uusix-pop-up-shop-hakaniemi": loc(
        sv="Uusix popup-butiken i Hagnäs saluhall", en="Uusix pop-up shop in Hakaniemi market hall"
    ),
}
UNITS_WITH_CONTACTS = {"social-rehabilitation-office", "pakila-work-centre", "uusix-workshops"}


def test_the_ten_units_and_no_coordinates(client):
    """Exactly the ten units of the fact sheet; no source gives coordinates for any of them."""
    units = get_all(client, "/v1/units?page_size=500")
    assert sorted(unit["id"] for unit in units) == sorted(PARENTS)
    for unit in units:
        assert (unit["latitude"], unit["longitude"]) == (None, None), unit["id"]
        assert unit["organization_id"] == "social-rehabilitation-team"


@pytest.mark.parametrize("unit_id", sorted(PARENTS))
def test_unit_names_and_parent(client, unit_id):
    """Names per language (null where the fact sheet has none) and the parent link."""
    unit = get_ok(client, f"/v1/units/{unit_id}")
    assert unit["name"] == UNIT_NAMES[unit_id]
    assert unit["parent_id"] == PARENTS[unit_id]


@pytest.mark.parametrize("unit_id", sorted(set(PARENTS) - UNITS_WITH_CONTACTS))
def test_units_without_known_address_or_numbers(client, unit_id):
    """No address, phone, fax or hours is recorded where the sources give none (or only infer)."""
    unit = get_ok(client, f"/v1/units/{unit_id}")
    for field in ("visiting_address", "postal_address", "phone", "fax"):
        assert unit[field] is None, field
    assert unit["opening_hours"] == []


def test_sub_units_by_parent(client):
    """Uusix: two sites and the Hakaniemi pop-up; Kyläsaari: two shops; Pakila: its shop."""
    for parent_id in ("uusix-workshops", "uusix-kylasaari", "pakila-work-centre"):
        subs = get_all(client, f"/v1/units?parent_id={parent_id}")
        assert {u["id"] for u in subs} == {k for k, v in PARENTS.items() if v == parent_id}


def test_social_rehabilitation_office_contacts(client):
    """Hopeatie 6 (sv Silvervägen 6), 2nd floor, 00440; PO Box 8647, 00099; fax only."""
    unit = get_ok(client, "/v1/units/social-rehabilitation-office")
    assert unit["visiting_address"] == {
        "street_address": loc("Hopeatie 6", "Silvervägen 6", "Hopeatie 6"),
        "additional_info": loc(en="2nd floor"),
        "postal_code": "00440",
        "locality": loc("Helsinki", "Helsingfors", "Helsinki"),
        "po_box": None,
    }
    postal = unit["postal_address"]
    assert (postal["po_box"], postal["postal_code"]) == ("8647", "00099")
    assert postal["locality"] == loc(en="City of Helsinki")
    assert unit["phone"] is None
    assert unit["fax"] == "+358 9 3103 2515"
    assert unit["web_page"]["en"] == PRIMARY
    assert unit["opening_hours"] == []
    assert "staff page in Finnish" in unit["notes"]


@pytest.mark.parametrize(
    ("unit_id", "street", "postal_code", "po_box", "phone", "fax"),
    [
        ("pakila-work-centre", "Jakokunnantie 26-28", "00660", "8642", "+358 9 3106 9740", None),
        (
            "uusix-workshops",
            "Kyläsaarenkatu 8 J",
            "00580",
            "8644",
            "+358 9 3108 9500",
            "+358 9 3108 9514",
        ),
    ],
)
def test_work_site_contacts_and_hours(client, unit_id, street, postal_code, po_box, phone, fax):
    """Pakila and Uusix: the official Finnish street name (used as it is by the English page, no
    Swedish one found), PO box at 00099, numbers, Mon–Fri 08:00–16:00."""
    unit = get_ok(client, f"/v1/units/{unit_id}")
    visiting = unit["visiting_address"]
    assert visiting["street_address"] == loc(fi=street, en=street)
    helsinki = loc(fi="Helsinki", en="Helsinki")
    assert (visiting["postal_code"], visiting["locality"]) == (postal_code, helsinki)
    assert unit["postal_address"]["po_box"] == po_box
    assert unit["postal_address"]["postal_code"] == "00099"
    assert unit["postal_address"]["locality"] == loc(en="City of Helsinki")
    assert (unit["phone"], unit["fax"]) == (phone, fax)
    [hours] = unit["opening_hours"]
    assert hours["spans"] == [{"weekdays": WEEKDAYS, "opens": "08:00", "closes": "16:00"}]


@pytest.mark.parametrize(
    ("unit_id", "phrases"),
    [
        ("pakila-work-centre", ["puutyöt", "verhoomo", "upholstery", "over 320 client places"]),
        ("uusix-workshops", ["400–500 clients", "about 70 guidance staff", "18 sections"]),
        ("non-institutional-work-activities", ["kodinhoidon tiimi", "hemvårdsteamet"]),
        ("uusix-kylasaari", ["Kyläsaarenkatu 8 J", "inference"]),
        ("uusix-pop-up-shop-hakaniemi", ["temporary Hakaniemi market hall"]),
    ],
)
def test_known_extras_are_noted(client, unit_id, phrases):
    """Departments, client places, staff and teams are kept in the unit's notes."""
    notes = get_ok(client, f"/v1/units/{unit_id}")["notes"]
    for phrase in phrases:
        assert phrase in notes


# --- Services -------------------------------------------------------------------------------


SERVICE_NAMES = {
    "rehabilitating-work-activities": loc(
        "Kuntouttava työtoiminta",
        "Arbetsverksamhet i rehabiliteringssyfte",
        "Rehabilitating work activities",
    ),
    "work-activities-for-people-with-disabilities": loc(
        sv="Arbetsverksamhet för personer med funktionsnedsättning",
        en="Work activities for the disabled",
    ),
    "social-rehabilitation": loc(sv="Social rehabilitering", en="Social rehabilitation"),
    "group-activities-supporting-rehabilitation": loc(
        en="Group activities supporting rehabilitation"
    ),
}


def test_service_names(client):
    """Four services, each named only in the languages a source gives."""
    services = get_all(client, "/v1/services?page_size=500")
    assert {service["id"]: service["name"] for service in services} == SERVICE_NAMES


def test_service_extents(client):
    """Rehabilitating: 3-month periods, 1–4 days, 4 h+; for the disabled: 1–5 days, 4–6 h."""
    rehab = get_ok(client, "/v1/services/rehabilitating-work-activities")
    assert rehab["extent"] == loc(
        en="Periods of 3 months, 1–4 days a week, at least 4 hours a day."
    )
    assert "rehabiliterande arbetsverksamhet" in rehab["notes"]
    disabled = get_ok(client, "/v1/services/work-activities-for-people-with-disabilities")
    assert disabled["extent"] == loc(en="1–5 days a week, 4–6 hours a day.")
    # The Uusix sites are places of rehabilitating work activities (data/README.md); the office
    # is only where the team that refers to work activities for the disabled is.
    assert sorted(rehab["unit_ids"]) == sorted([*WORK_SITES, *UUSIX_SITES])
    assert sorted(disabled["unit_ids"]) == WORK_SITES


def test_social_rehabilitation_is_free_and_has_its_purpose(client):
    service = get_ok(client, "/v1/services/social-rehabilitation")
    assert service["free_of_charge"] is True
    assert service["fees"] == loc(en="The services are free of charge for the customers.")
    assert service["description"]["en"].startswith("The purpose of social rehabilitation is to")
    for phrase in ("well-being", "life management skills", "work ability", "functional capacity"):
        assert phrase in service["description"]["en"]
    assert service["unit_ids"] == ["social-rehabilitation-office"]


# --- Access routes --------------------------------------------------------------------------


def test_three_referral_routes_to_rehabilitating_work_activities(client):
    url = "/v1/access-channels?type=referral&service_id=rehabilitating-work-activities"
    names = {channel["id"]: channel["name"] for channel in get_all(client, url)}
    assert names == {
        "referral-regional-social-work": loc(
            sv="Det regionala socialarbetet för vuxna och unga",
            en="Regional social work for adults and young people",
        ),
        "referral-helsinki-typ": loc(sv="Helsingfors TYP", en="Helsinki TYP"),
        "referral-te-services": loc(sv="TE-tjänsterna", en="TE services"),
    }
    typ = get_ok(client, "/v1/access-channels/referral-helsinki-typ")
    assert typ["description"] == loc(en="The multisectoral joint service promoting employment.")


def test_social_rehabilitation_team_refers_to_work_activities_for_the_disabled(client):
    url = (
        "/v1/access-channels?type=referral&service_id=work-activities-for-people-with-disabilities"
    )
    [channel] = get_all(client, url)
    assert channel["id"] == "referral-social-rehabilitation-team"
    assert channel["name"] == loc(
        sv="Teamet för social rehabilitering", en="The social rehabilitation team"
    )
    assert channel["unit_ids"] == []  # it leads to the service, not to the team's office


def test_who_may_contact_social_rehabilitation(client):
    """The client, a close relative or friend, or a professional (sv adds the supervisor)."""
    url = "/v1/access-channels?type=contact&service_id=social-rehabilitation"
    by = {channel["contact_by"]: channel for channel in get_all(client, url)}
    assert sorted(by) == ["client", "professional", "relative_or_friend"]
    assert by["client"]["name"]["en"] == "The customer personally"
    assert by["relative_or_friend"]["name"]["en"] == "A close relative or friend of the customer"
    professional = by["professional"]
    assert professional["name"]["en"] == "An employee working with the customer in another service"
    assert "arbetsledaren" in professional["notes"]


# --- Staff duties ---------------------------------------------------------------------------


def test_eight_staff_duties_in_the_source_order(client):
    duties = get_all(client, "/v1/staff-duties?page_size=3")
    assert [duty["position"] for duty in duties] == list(range(1, 9))
    assert {duty["organization_id"] for duty in duties} == {"social-rehabilitation-team"}
    first, last = duties[0], duties[-1]
    assert first["text"] == loc(
        sv="styr, stöder och förstärker klienterna i rehabiliteringen",
        en="guide, support and strengthen customers in the rehabilitation process",
    )
    assert last["text"] == loc(
        en="participate in the development of the rehabilitative nature of work activities"
    )
    assert duties[4]["text"]["en"] == "organise group activities that support rehabilitation"
    assert all(duty["service_ids"] == [] for duty in duties)  # no source links them
    assert duties[6]["text"]["en"] == "coordinate rehabilitating work with inmates"
    # The Swedish list's first item has no English counterpart; it is kept on the team.
    team = get_ok(client, "/v1/organizations/social-rehabilitation-team")
    assert "samordnar klientprocesserna på verksamhetsstället" in team["notes"]


# --- Announcement ---------------------------------------------------------------------------


def test_face_mask_announcement(client):
    """A city-wide recommendation on the page of 25.02.2021: masks for everyone over 12."""
    [announcement] = get_all(client, "/v1/announcements")
    assert announcement["id"] == "face-masks-in-social-and-health-care"
    assert announcement["organization_id"] == "city-of-helsinki"
    assert announcement["stated_on"] == "2021-02-25"
    assert announcement["title"] == loc(en="Wear a face mask in social and health care services")
    assert "everyone over the age of 12 uses a face mask" in announcement["text"]["en"]
    assert PRIMARY in announcement["source_urls"]


# --- COVID-19 notices -----------------------------------------------------------------------


def notice(client, notice_id: str) -> dict:
    return get_ok(client, f"/v1/status-notices/{notice_id}")


def dates(record: dict) -> tuple:
    """The days a statement is in force where the sources fix them (else null)."""
    return record["in_force_from"], record["in_force_until"]


def version(client, version_id: str) -> dict:
    return get_ok(client, f"/v1/notice-versions/{version_id}")


def test_version_of_2020_12_01(client):
    """Current clients only, no new clients, no groups, shops closed; valid until 31.1.2021."""
    work = notice(client, "covid-2020-12-work-activities")
    assert work["state"] == "current_clients_only"
    assert dates(work) == ("2020-12-01", "2021-01-31")
    assert (work["open_to_current_clients"], work["new_clients_admitted"]) == (True, False)
    assert work["delivery_mode"] == "partly_distance"
    assert work["unit_ids"] == WORK_SITES
    groups = notice(client, "covid-2020-12-group-activities")
    assert groups["state"] == "activity_not_organised"
    assert groups["service_ids"] == ["group-activities-supporting-rehabilitation"]
    shops = notice(client, "covid-2020-12-shops")
    assert (shops["state"], shops["open_to_public"]) == ("closed", False)
    assert sorted(shops["unit_ids"]) == SHOPS
    for record in (work, groups, shops):
        assert record["version_id"] == "covid-2020-12"
        assert record["valid_until"] is None  # the version's own validity, not the statement's
        assert record["source_urls"] == [UUSIX_PAGE]
    dated = version(client, "covid-2020-12")
    assert (dated["published_on"], dated["valid_until"]) == ("2020-12-01", "2021-01-31")


def test_2020_12_hakaniemi_pop_up_open_until_23_december(client):
    pop_up = notice(client, "covid-2020-12-hakaniemi-pop-up")
    assert (pop_up["state"], pop_up["open_to_public"]) == ("open", True)
    assert pop_up["unit_ids"] == ["uusix-pop-up-shop-hakaniemi"]
    assert dates(pop_up) == ("2020-12-01", "2020-12-23")
    unit = {"unit_id": "uusix-pop-up-shop-hakaniemi"}
    assert in_force(client, "2020-12-23T18:00", **unit) == ["covid-2020-12-hakaniemi-pop-up"]
    assert in_force(client, "2020-12-24T10:00", **unit) == []


def test_version_of_2021_02_25(client):
    """New clients admitted; groups off; shops closed except Hakaniemi (open to end of 2021)."""
    work = notice(client, "covid-2021-02-work-activities")
    assert work["state"] == "new_clients_admitted"
    # From the page's date; to 30.4.2021 at the latest: the undated later version may have
    # replaced it any day from 26.2.2021.
    assert dates(work) == ("2021-02-25", None)
    assert work["in_force_bounds"]["until_earliest"] == "2021-02-25"
    assert work["in_force_bounds"]["until_latest"] == "2021-04-30"
    assert (work["open_to_current_clients"], work["new_clients_admitted"]) == (True, True)
    assert work["unit_ids"] == WORK_SITES
    assert "Helsinki TYP" in work["text"]["en"]
    assert notice(client, "covid-2021-02-group-activities")["version_id"] == "covid-2021-02"
    shops = notice(client, "covid-2021-02-shops")
    assert (shops["state"], dates(shops)) == ("closed", ("2021-02-25", None))
    assert version(client, "covid-2021-02")["valid_until"] == "2021-04-30"
    assert sorted(shops["unit_ids"]) == SHOPS
    pop_up = notice(client, "covid-2021-02-hakaniemi-pop-up")
    assert (pop_up["state"], pop_up["open_to_public"]) == ("open", True)
    assert pop_up["valid_until"] == "2021-12-31"
    # Open until the end of 2021, as it says, unless the later version replaced it first; that
    # version took effect by 5.7.2021, so this statement ended by 4.7.2021.
    assert pop_up["in_force_bounds"]["until_latest"] == "2021-07-04"
    for record in (work, shops, pop_up):
        assert PRIMARY in record["source_urls"]


def test_later_2021_version_from_the_swedish_page(client):
    """Pakila shop open from 1.6.2021, Kyläsaari shops open, summer closure 5.7.–30.7.2021."""
    work = notice(client, "covid-2021-later-work-activities")
    assert (work["open_to_current_clients"], work["new_clients_admitted"]) == (True, True)
    assert work["valid_until"] is None
    pakila = notice(client, "covid-2021-later-pakila-shop")
    assert (pakila["state"], pakila["valid_from"], pakila["valid_until"]) == (
        "open",
        "2021-06-01",
        None,
    )
    assert pakila["unit_ids"] == ["pakila-shop-and-pick-up-point"]
    kylasaari = notice(client, "covid-2021-later-uusix-kylasaari-shops")
    assert (kylasaari["state"], kylasaari["open_to_public"]) == ("open", True)
    assert notice(client, "covid-2021-later-hakaniemi-pop-up")["state"] == "open"
    summer = notice(client, "covid-2021-summer-closure")
    assert (summer["state"], dates(summer)) == ("closed", ("2021-07-05", "2021-07-30"))
    assert summer["unit_ids"] == WORK_SITES
    for record in (work, pakila, kylasaari, summer):
        assert record["source_urls"] == [SV_WORK_REHAB]


def test_each_version_supersedes_the_previous(client):
    chains = {
        "covid-2020-12-work-activities": ["covid-2021-02-work-activities"],
        "covid-2021-02-work-activities": ["covid-2021-later-work-activities"],
        "covid-2020-12-group-activities": ["covid-2021-02-group-activities"],
        "covid-2020-12-shops": ["covid-2021-02-shops"],
        "covid-2021-02-shops": [
            "covid-2021-later-pakila-shop",
            "covid-2021-later-uusix-kylasaari-shops",
        ],
        "covid-2020-12-hakaniemi-pop-up": ["covid-2021-02-hakaniemi-pop-up"],
        "covid-2021-02-hakaniemi-pop-up": ["covid-2021-later-hakaniemi-pop-up"],
    }
    for old_id, new_ids in chains.items():
        assert sorted(notice(client, old_id)["superseded_by_ids"]) == new_ids, old_id
        for new_id in new_ids:
            assert notice(client, new_id)["supersedes_id"] == old_id, new_id
    for first_id in ("covid-2020-12-work-activities", "covid-2020-12-shops"):
        assert notice(client, first_id)["supersedes_id"] is None


WORK_AT_PAKILA = {"unit_id": "pakila-work-centre", "service_id": "rehabilitating-work-activities"}


LATER_WORK = "covid-2021-later-work-activities"


@pytest.mark.parametrize(
    ("instant", "expected", "new_clients_admitted"),
    [
        ("2021-01-15T10:00", ["covid-2020-12-work-activities"], False),
        ("2021-01-31T23:30", ["covid-2020-12-work-activities"], False),
        # From 26.2.2021 the undated later version may have taken effect: both may be in force
        # (and both admit new clients).
        ("2021-02-25T10:00", ["covid-2021-02-work-activities"], True),
        ("2021-03-15T10:00", ["covid-2021-02-work-activities", LATER_WORK], True),
        ("2021-04-30T12:00", ["covid-2021-02-work-activities", LATER_WORK], True),
        ("2021-05-15T12:00", [LATER_WORK], True),
    ],
)
def test_work_activities_notice_in_force(client, instant, expected, new_clients_admitted):
    """Which work-activities notices can answer for Pakila at a given moment."""
    assert in_force(client, instant, **WORK_AT_PAKILA) == expected
    for notice_id in expected:
        assert notice(client, notice_id)["new_clients_admitted"] is new_clients_admitted


def test_no_work_activities_notice_between_versions(client):
    """Validity ends 31.1.2021 inclusive, Helsinki time; the next version starts 25.02.2021."""
    assert in_force(client, "2021-02-10T10:00", **WORK_AT_PAKILA) == []
    active = in_force(client, "2021-02-10T10:00")
    assert "covid-2020-12-work-activities" not in active
    assert "covid-2021-02-work-activities" not in active
    late = "/v1/status-notices?active_at=2021-01-31T22:30:00Z&unit_id=pakila-work-centre"
    assert get_all(client, late) == []


def test_hakaniemi_open_through_2021_and_pakila_shop_from_june(client):
    hakaniemi = {"unit_id": "uusix-pop-up-shop-hakaniemi"}
    later = "covid-2021-later-hakaniemi-pop-up"
    assert in_force(client, "2021-03-15T10:00", **hakaniemi) == [
        "covid-2021-02-hakaniemi-pop-up",
        later,
    ]
    # The later version's "open" keeps the end of 2021 that the earlier one gave.
    assert in_force(client, "2021-12-31T10:00", **hakaniemi) == [later]
    assert in_force(client, "2022-01-01T10:00", **hakaniemi) == []
    shop = {"unit_id": "pakila-shop-and-pick-up-point"}
    assert in_force(client, "2021-03-15T10:00", **shop) == ["covid-2021-02-shops"]
    assert in_force(client, "2021-05-31T10:00", **shop) == []
    assert in_force(client, "2021-06-01T08:00", **shop) == ["covid-2021-later-pakila-shop"]


def test_summer_closure_days(client):
    closed = {"unit_id": "uusix-workshops", "state": "closed"}
    assert in_force(client, "2021-07-04T12:00", **closed) == []
    assert in_force(client, "2021-07-05T08:00", **closed) == ["covid-2021-summer-closure"]
    assert in_force(client, "2021-07-30T15:00", **closed) == ["covid-2021-summer-closure"]
    assert in_force(client, "2021-07-31T12:00", **closed) == []


# --- Provenance and licence -----------------------------------------------------------------

COLLECTIONS = "units services organizations access-channels status-notices announcements".split()


@pytest.mark.parametrize("collection", [*COLLECTIONS, "staff-duties"])
def test_every_record_names_its_sources(client, collection):
    records = get_all(client, f"/v1/{collection}?page_size=500")
    assert records
    for record in records:
        assert record["source_urls"], record["id"]
        assert all(url.startswith("https://") for url in record["source_urls"]), record["id"]
        for hours in record.get("opening_hours", []):
            assert hours["source_urls"], hours["id"]


def test_dataset_is_cc_by_attributed_to_helsinki(client):
    index = get_ok(client, "/v1")
    assert index["publisher"] == "City of Helsinki"
    assert index["licence"]["name"] == "CC BY 4.0"
    assert index["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "City of Helsinki" in index["attribution"]
