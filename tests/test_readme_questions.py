"""The README's "Three questions" examples, run as written against a live server: each answers
in at most two calls, and says what the sources say."""

from __future__ import annotations

import httpx
import pytest
from live_server import live_server
from readme_examples import examples, run_python


@pytest.fixture(scope="module")
def server(loaded_database, tmp_path_factory):
    with live_server(loaded_database, tmp_path_factory.mktemp("readme-server")) as url:
        yield url


def run(name: str, server: str) -> tuple[str, list[str]]:
    """Run the README example `name` with `client`; return what it printed and the requests
    it made."""
    calls: list[str] = []
    hooks = {"request": [lambda request: calls.append(str(request.url))]}
    with httpx.Client(base_url=server, event_hooks=hooks) as client:
        return run_python(name, server, {"client": client}), calls


def test_the_readme_has_the_three_examples():
    assert {"badges", "can-i-start", "versions"} <= set(examples())


def test_can_i_start_at_pakila_after_a_referral_on_1_march_2021(server):
    printed, calls = run("can-i-start", server)
    assert len(calls) <= 2
    assert "new clients admitted: True" in printed
    # Both versions the sources leave possible that day say so, each with its source's date.
    assert "covid-2021-02-work-activities (possibly_in_force, source dated 2021-02-25)" in printed
    assert (
        "covid-2021-later-work-activities (possibly_in_force, source dated 2021-02-26)" in printed
    )
    for route in ("Regional social work", "Helsinki TYP", "TE services"):
        assert f"referral: {route}" in printed, route
    assert "The social rehabilitation team -> work-activities-for-people-with-disabilities" in (
        printed
    )


def test_badges_for_every_unit_now_and_on_three_dates(server):
    printed, calls = run("badges", server)
    assert len(calls) <= 2
    lines = dict(line.split(" ", 1) for line in printed.strip().splitlines())
    assert len(lines) == 10
    # Now: past the horizon of the 2020–2021 sources, nothing is known.
    assert lines["pakila-work-centre"] == "unknown open closed open"
    assert lines["uusix-building-parts-recycling"] == "unknown closed unknown unknown"
    assert lines["social-rehabilitation-office"] == "unknown unknown unknown unknown"


def test_which_versions_existed_when_and_what_changed(server):
    printed, calls = run("versions", server)
    assert len(calls) <= 2
    lines = printed.strip().splitlines()
    assert lines[:3] == [
        "covid-2020-12 2020-12-01 2020-12-01 2021-01-31",
        "covid-2021-02 2021-02-25 2021-02-25 2021-04-30",
        "covid-2021-later None 2021-02-26 None",
    ]
    assert "covid-2021-02-work-activities ['state', 'new_clients_admitted', 'text']" in lines
