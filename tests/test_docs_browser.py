"""`/docs` in a real browser: headless Chromium renders Swagger UI from this server, lists every
operation of the spec, and a "Try it out" call to listUnits comes back 200.

Needs Debian's `chromium` and `chromium-driver` (CI installs them). Without them the test is
skipped, or fails when REQUIRE_SYSTEM_TESTS=1. The screenshot lands in test-artifacts/docs.png.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import PROJECT_ROOT
from live_server import live_server

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
TIMEOUT = 30


@pytest.fixture(scope="module")
def server(loaded_database, tmp_path_factory):
    with live_server(loaded_database, tmp_path_factory.mktemp("docs-server")) as url:
        yield url


def spec_operations(server: str) -> dict[str, dict]:
    with urllib.request.urlopen(f"{server}/v1/openapi.json", timeout=TIMEOUT) as response:
        spec = json.load(response)
    return {
        operation["operationId"]: operation
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    }


def test_the_docs_render_every_operation_and_try_it_out_returns_200(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    wait = WebDriverWait(browser, TIMEOUT)
    operations = spec_operations(server)
    browser.get(f"{server}/docs")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        # Rendered: one block per operation of the spec, each showing its operationId.
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
        blocks = browser.find_elements(By.CSS_SELECTOR, ".opblock")
        shown = [
            element.text
            for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-operation-id")
        ]
        assert len(blocks) == len(operations)
        assert sorted(shown) == sorted(operations)
        assert not browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
        # The guide (docs/guide.md, the spec's description) is rendered above the operations.
        guide = browser.find_elements(By.CSS_SELECTOR, ".information-container .description h2")
        assert {"Paging and cursors", "Errors", "HSDS view"} <= {h.text for h in guide}
        browser.save_screenshot(str(ARTIFACTS / "docs-operations.png"))

        # The listUnits operation: its summary is visible; open it, try it out, execute.
        list_units = browser.find_element(By.CSS_SELECTOR, "[id$='-listUnits']")
        summary = list_units.find_element(By.CSS_SELECTOR, ".opblock-summary-description")
        assert summary.is_displayed()
        assert summary.text == operations["listUnits"]["summary"]
        list_units.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
        wait.until(lambda _: list_units.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
        list_units.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
        wait.until(lambda _: list_units.find_elements(By.CSS_SELECTOR, ".execute"))
        # Where several media types are offered, ask for the JSON envelope (the Accept header).
        for select in list_units.find_elements(
            By.CSS_SELECTOR, ".response-control-media-type select"
        ):
            if select.find_elements(By.CSS_SELECTOR, "option[value='application/json']"):
                Select(select).select_by_value("application/json")
        list_units.find_element(By.CSS_SELECTOR, ".execute").click()

        status = wait.until(
            lambda _: list_units.find_elements(
                By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
            )
        )[0]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", status)
        assert status.text.strip() == "200"
        request_url = list_units.find_element(By.CSS_SELECTOR, ".request-url pre").text
        assert request_url.startswith(f"{server}/v1/units")
        body = list_units.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight")
        assert '"count"' in body.text

        # Everything the page loaded came from this server.
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(entry => entry.name);"
        )
        assert loaded and all(url.startswith(server) for url in loaded), loaded
    finally:
        browser.save_screenshot(str(ARTIFACTS / "docs.png"))
