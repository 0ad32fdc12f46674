"""The status widget in a real browser, embedded by a page of another origin.

A live API on 127.0.0.1 serves `/widget/v1.js`; a second small server (another port, addressed
as `localhost`: another origin, and another site) serves the pages that embed it, so the module
script and its requests cross origins as they do on a city portal, and CORS is exercised for
real. Headless Chromium renders them and the assertions read the widgets' shadow roots, in
Finnish, Swedish and English, against what the API answers. axe-core (pinned in
tests/sdk/package-lock.json, installed by `npm ci`) checks accessibility, inside the shadow roots
too. Screenshots land in test-artifacts/widget.png and test-artifacts/widget-demo.png.

Needs Debian's `chromium` and `chromium-driver`, and Node with npm (for axe-core). Without them
the tests are skipped, or fail when REQUIRE_SYSTEM_TESTS=1.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

import pytest
from conftest import PROJECT_ROOT, sdk_node_modules
from live_server import live_server
from test_widget import expected_badge

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
TIMEOUT = 30
LANGUAGES = ("fi", "sv", "en")
ORGANIZATION = "social-rehabilitation-team"
PAKILA = "pakila-work-centre"
POP_UP = "uusix-pop-up-shop-hakaniemi"
# Instants at which the shipped data shows each badge (the premises are checked against the API).
OPEN_AT = "2020-11-16T10:00:00+02:00"
LIMITED_AT = "2021-01-15T10:00:00+02:00"
CLOSED_AT = "2021-07-07T12:00:00+03:00"
NO_HOURS_AT = "2021-03-15T10:00:00+02:00"  # the pop-up shop: notices, but no hours
PAST_HORIZON_AT = "2026-01-15T12:00:00+02:00"
CASES = (
    ("open", PAKILA, OPEN_AT),
    ("limited", PAKILA, LIMITED_AT),
    ("closed", PAKILA, CLOSED_AT),
    ("unknown", POP_UP, NO_HOURS_AT),
    ("unknown", PAKILA, PAST_HORIZON_AT),
)
# The widget's own words for what the tests check, in each language.
LABELS = {
    "fi": {
        "open": "Avoinna",
        "limited": "Avoinna rajoitetusti",
        "closed": "Suljettu",
        "unknown": "Tila ei tiedossa",
        "current_clients_only": "Vain nykyisille asiakkaille",
        "in English": "englanniksi",
        "next change": "Seuraava muutos",
        "updated": "Päivitetty",
        "failed": "Tilannetta ei voitu hakea.",
    },
    "sv": {
        "open": "Öppet",
        "limited": "Öppet med begränsningar",
        "closed": "Stängt",
        "unknown": "Läget okänt",
        "current_clients_only": "Endast för nuvarande klienter",
        "in English": "på engelska",
        "next change": "Nästa ändring",
        "updated": "Uppdaterat",
        "failed": "Läget kunde inte hämtas.",
    },
    "en": {
        "open": "Open",
        "limited": "Open with limits",
        "closed": "Closed",
        "unknown": "Status unknown",
        "current_clients_only": "Current clients only",
        "in English": "in English",
        "next change": "Next change",
        "updated": "Updated",
        "failed": "The status could not be loaded.",
    },
}


def in_language(localized: dict, lang: str) -> tuple[str, str]:
    """The documented fallback: the text in `lang`, else in English, Finnish, Swedish."""
    for candidate in (lang, "en", "fi", "sv"):
        if localized.get(candidate):
            return localized[candidate], candidate
    raise AssertionError(f"no text in {localized}")


# --- Servers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(loaded_database, tmp_path_factory):
    with live_server(loaded_database, tmp_path_factory.mktemp("widget-server")) as url:
        yield url


def api(server: str, path: str) -> dict:
    with urllib.request.urlopen(f"{server}{path}", timeout=TIMEOUT) as response:
        return json.load(response)


def status_of(server: str, unit: str, at: str) -> dict:
    return api(server, f"/v1/units/{unit}/status?at={quote(at)}")


@dataclass
class Portal:
    """Another origin: serves the pages the tests put in `pages` (path -> HTML)."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)

    def page(self, server: str, name: str, body: str, head: str = "", lang: str = "en") -> str:
        """A page of this origin that loads the widget from the API's origin; its URL."""
        self.pages[f"/{name}"] = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>A portal page: {name}</title>
<link rel="icon" href="data:,">
{head}
<script type="module" src="{server}/widget/v1.js"></script>
</head>
<body><main><h1>A portal page</h1>
{body}
</main></body>
</html>"""
        return f"{self.url}/{name}"


@pytest.fixture(scope="module")
def portal():
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            page = pages.get(urlsplit(self.path).path)
            if page is None:
                self.send_error(404)
                return
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, name="portal", daemon=True)
    thread.start()
    try:
        yield Portal(f"http://localhost:{httpd.server_port}", pages)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


# --- Reading the widgets ----------------------------------------------------------------------

RENDERED = """
const hosts = [...document.querySelectorAll(arguments[0])];
return hosts.length > 0 && hosts.every((host) => host.shadowRoot
  && host.shadowRoot.querySelector('.unit, .error, .note')
  && !host.shadowRoot.querySelector('[aria-busy]'));
"""

READ = """
const text = (element) => element ? element.textContent.trim() : null;
const card = (unit) => ({
  id: unit.dataset.unit,
  badge: unit.dataset.badge,
  badge_text: text(unit.querySelector('.badge')),
  icon: unit.querySelector('.badge svg') ? unit.querySelector('.badge svg').innerHTML : null,
  icon_hidden: unit.querySelector('.badge svg')?.getAttribute('aria-hidden') ?? null,
  labelled_by_name: unit.getAttribute('aria-labelledby') === unit.querySelector('.name').id,
  name: text(unit.querySelector('.name > [lang]')),
  name_lang: unit.querySelector('.name > [lang]')?.getAttribute('lang') ?? null,
  name_tag: text(unit.querySelector('.name .lang-tag')),
  who: text(unit.querySelector('.who')),
  reason: text(unit.querySelector('.reason')),
  reason_code: unit.querySelector('.reason')?.dataset.reason ?? null,
  notices: [...unit.querySelectorAll('.notices > li')].map((item) => ({
    id: item.dataset.notice,
    text: text(item.querySelector('span[lang]')),
    lang: item.querySelector('span[lang]').getAttribute('lang'),
    tag: text(item.querySelector('.lang-tag')),
    link: item.querySelector('a')?.getAttribute('href') ?? null,
  })),
  times: Object.fromEntries([...unit.querySelectorAll('.times dt')].map((term) => [
    term.textContent,
    {text: term.nextElementSibling.textContent,
     datetime: term.nextElementSibling.querySelector('time')?.getAttribute('datetime') ?? null},
  ])),
  more: unit.querySelector('.more a')?.getAttribute('href') ?? null,
  more_hreflang: unit.querySelector('.more a')?.getAttribute('hreflang') ?? null,
  more_tag: text(unit.querySelector('.more .lang-tag')),
  hrefs: [...unit.querySelectorAll('a')].map((a) => a.getAttribute('href')),
  visible: unit.innerText,
});
return [...document.querySelectorAll(arguments[0])].map((host) => ({
  lang: host.shadowRoot.querySelector('.root').getAttribute('lang'),
  error: text(host.shadowRoot.querySelector('.error')),
  live: host.shadowRoot.querySelector('[role=status]').textContent,
  list_label: host.shadowRoot.querySelector('ul.units')?.getAttribute('aria-label') ?? null,
  units: [...host.shadowRoot.querySelectorAll('.unit')].map(card),
}));
"""

API_REQUESTS = """
return performance.getEntriesByType('resource')
  .filter((entry) => new URL(entry.name).pathname.startsWith('/v1/'))
  .map((entry) => ({url: entry.name, status: entry.responseStatus}));
"""


def wait_rendered(browser, selector: str) -> None:
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, TIMEOUT).until(lambda b: b.execute_script(RENDERED, selector))


def read(browser, selector: str) -> list[dict]:
    return browser.execute_script(READ, selector)


def normalized(browser, url: str) -> str:
    """An address as the browser writes it (an IDN host in punycode)."""
    return browser.execute_script("return new URL(arguments[0]).href;", url)


def console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def full_page_screenshot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    (ARTIFACTS / name).write_bytes(base64.b64decode(shot["data"]))


def states_page(server: str, portal: Portal) -> str:
    """Every case in three columns, fi, sv and en (en by inheriting the column's `lang`),
    the list form at LIMITED_AT, and a unit that does not exist."""
    columns = []
    for lang in LANGUAGES:
        own = "" if lang == "en" else f' lang="{lang}"'
        widgets = "\n".join(
            f'<service-status data-case="{badge}" unit="{unit}" at="{at}"{own}></service-status>'
            for badge, unit, at in CASES
        )
        columns.append(
            f"""<section lang="{lang}" aria-labelledby="heading-{lang}">
<h2 id="heading-{lang}">{lang}</h2>
{widgets}
<service-status data-case="missing" unit="no-such-unit"{own}></service-status>
<service-status-list organization="{ORGANIZATION}" at="{LIMITED_AT}"{own}
  heading-level="3"></service-status-list>
</section>"""
        )
    style = """<style>
.columns { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
section > * + * { margin-top: 0.75rem; display: block; }
</style>"""
    return portal.page(
        server, "states", f'<div class="columns">{"".join(columns)}</div>', head=style
    )


# --- Tests ------------------------------------------------------------------------------------


def test_every_state_in_finnish_swedish_and_english_on_another_origin(server, portal, browser):
    statuses = [status_of(server, unit, at) for _badge, unit, at in CASES]
    units = {unit: api(server, f"/v1/units/{unit}") for unit in {PAKILA, POP_UP}}
    # The premises: the shipped data shows these badges then, and has its notices in English
    # only (so Finnish and Swedish fall back, labelled).
    assert [expected_badge(s) for s in statuses] == [badge for badge, _u, _a in CASES]
    assert statuses[1]["state"] == "current_clients_only"
    assert all(
        n["text"]["fi"] is None and n["text"]["sv"] is None and n["text"]["en"]
        for s in statuses
        for n in s["notices"]
    )
    assert statuses[4]["reasons"][0]["detail"].startswith("No source newer than 2021-02-26")
    not_found = urllib.request.Request(f"{server}/v1/units/no-such-unit")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(not_found, timeout=TIMEOUT)
    missing_detail = json.load(missing.value)["detail"]

    browser.get(states_page(server, portal))
    origin = browser.execute_script("return location.origin;")
    assert urlsplit(origin).netloc != urlsplit(server).netloc  # another origin, for real
    wait_rendered(browser, "service-status, service-status-list")
    try:
        for lang in LANGUAGES:
            labels = LABELS[lang]
            widgets = read(browser, f'section[lang="{lang}"] service-status[data-case]')
            icons = {}
            for widget, (badge, unit_id, _at), status in zip(
                widgets[: len(CASES)], CASES, statuses, strict=True
            ):
                unit = units[unit_id]
                assert widget["lang"] == lang
                (card,) = widget["units"]
                assert card["id"] == unit_id
                # The badge, by text and by an icon (decorative for screen readers).
                assert card["badge"] == badge
                assert card["badge_text"] == labels[badge]
                assert card["icon"] and card["icon_hidden"] == "true"
                icons.setdefault(badge, card["icon"])
                # The name, in the language or labelled with the one it is in.
                name, name_lang = in_language(unit["name"], lang)
                assert (card["name"], card["name_lang"]) == (name, name_lang)
                assert card["name_tag"] == (None if name_lang == lang else labels["in English"])
                assert card["labelled_by_name"]
                # Notices: the English text, labelled "in English" unless English was asked.
                assert [n["id"] for n in card["notices"]] == [n["id"] for n in status["notices"]]
                for shown, notice in zip(card["notices"], status["notices"], strict=True):
                    assert (shown["text"], shown["lang"]) == (notice["text"]["en"], "en")
                    assert shown["tag"] == (None if lang == "en" else labels["in English"])
                    assert shown["link"] == normalized(browser, notice["source_urls"][0])
                # The next change, as a <time>; the source page.
                next_change = card["times"][labels["next change"]]
                assert next_change["datetime"] == status["next_change"]
                if status["next_change"] is None:
                    assert next_change["text"]
                page, page_lang = (
                    in_language(unit["web_page"], lang)
                    if unit["web_page"]
                    else (unit["source_urls"][0], None)
                )
                assert card["more"] == normalized(browser, page)
                assert card["more_hreflang"] == page_lang
                assert card["more_tag"] == (
                    None if page_lang in (None, lang) else labels["in English"]
                )
                # Who is served; why unknown, in the API's words.
                if badge == "limited":
                    assert card["who"] == labels["current_clients_only"]
                if badge == "unknown":
                    reason = status["reasons"][0]
                    assert card["reason_code"] == reason["code"]
                    assert reason["detail"] in card["reason"]
                    if lang != "en":
                        assert labels["in English"] in card["reason"]
                else:
                    assert card["reason"] is None
                assert card["visible"].strip()
            # Four badges, four different icons.
            assert len(set(icons.values())) == 4
            # A unit that does not exist: the API's problem, said in the widget.
            missing_widget = widgets[len(CASES)]
            assert missing_widget["units"] == []
            assert missing_widget["error"].startswith(labels["failed"])
            assert missing_detail in missing_widget["error"]
        assert console_errors(browser) == [] or all(
            "no-such-unit" in message for message in console_errors(browser)
        )
    finally:
        full_page_screenshot(browser, "widget.png")


def test_the_list_form_shows_an_organization_in_one_request(server, portal, browser):
    page = api(
        server,
        f"/v1/units?organization_id={ORGANIZATION}&include=status&page_size=500"
        f"&at={quote(LIMITED_AT)}",
    )
    assert page["count"] == len(page["results"]) > 1
    url = portal.page(
        server,
        "list",
        f'<service-status-list organization="{ORGANIZATION}" lang="sv" at="{LIMITED_AT}">'
        "</service-status-list>",
    )
    browser.get(url)
    wait_rendered(browser, "service-status-list")
    (widget,) = read(browser, "service-status-list")
    assert widget["lang"] == "sv"
    assert widget["list_label"] == "Enheternas läge"
    assert [card["id"] for card in widget["units"]] == [unit["id"] for unit in page["results"]]
    for card, unit in zip(widget["units"], page["results"], strict=True):
        (status,) = unit["statuses"]
        assert card["badge"] == expected_badge(status)
        assert card["badge_text"] == LABELS["sv"][card["badge"]]
        assert (card["name"], card["name_lang"]) == in_language(unit["name"], "sv")
        assert card["times"]["Läget"]["datetime"] == LIMITED_AT
    assert {"limited", "closed", "unknown"} <= {card["badge"] for card in widget["units"]}

    # One request for all of them, with the statuses and the chosen instant.
    (request,) = browser.execute_script(API_REQUESTS)
    query = urlsplit(request["url"]).query
    assert urlsplit(request["url"]).path == "/v1/units"
    assert "include=status" in query and f"at={quote(LIMITED_AT, safe='')}" in query


def test_a_refresh_revalidates_with_the_etag_and_a_304_keeps_what_is_shown(server, portal, browser):
    url = portal.page(
        server,
        "refresh",
        f'<service-status id="timed" unit="{PAKILA}" at="{LIMITED_AT}" refresh="10">'
        "</service-status>",
    )
    browser.get(url)
    wait_rendered(browser, "#timed")
    first = browser.execute_script(API_REQUESTS)
    assert [r["status"] for r in first] == [200, 200]
    browser.execute_script("window.kept = document.querySelector('#timed').shadowRoot.firstChild;")
    browser.execute_script(
        "window.keptCard = document.querySelector('#timed').shadowRoot.querySelector('.unit');"
    )

    changed = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.querySelector('#timed').refresh().then(done, (error) => done(String(error)));"
    )
    assert changed is False
    requests = browser.execute_script(API_REQUESTS)
    assert [r["status"] for r in requests[2:]] == [304, 304]  # sent with If-None-Match
    kept = "document.querySelector('#timed').shadowRoot.querySelector('.unit') === window.keptCard"
    assert browser.execute_script(f"return {kept};")

    # The interval: ten seconds later it asks again, conditionally, by itself.
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 25).until(lambda b: len(b.execute_script(API_REQUESTS)) >= 6)
    requests = browser.execute_script(API_REQUESTS)
    assert [r["status"] for r in requests[4:6]] == [304, 304]
    assert browser.execute_script(f"return {kept};")


@pytest.mark.parametrize("reduced_motion", [False, True], ids=["motion", "reduced-motion"])
def test_a_change_is_announced_and_highlighted_unless_motion_is_reduced(
    server, portal, browser, reduced_motion
):
    from selenium.webdriver.support.wait import WebDriverWait

    if reduced_motion:
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
        )
    url = portal.page(
        server,
        "change",
        f'<service-status id="changing" unit="{PAKILA}" at="{LIMITED_AT}" lang="fi">'
        "</service-status>",
    )
    browser.get(url)
    assert (
        browser.execute_script("return matchMedia('(prefers-reduced-motion: reduce)').matches;")
        is reduced_motion
    )
    wait_rendered(browser, "#changing")
    (before,) = read(browser, "#changing")
    assert before["units"][0]["badge"] == "limited"
    assert before["live"] == ""  # the first rendering is not announced

    browser.execute_script(
        "document.querySelector('#changing').setAttribute('at', arguments[0]);", CLOSED_AT
    )
    WebDriverWait(browser, TIMEOUT).until(
        lambda b: (
            read(b, "#changing")[0]["units"][0]["badge"] == "closed"
            and read(b, "#changing")[0]["live"]
        )
    )
    (after,) = read(browser, "#changing")
    name = api(server, f"/v1/units/{PAKILA}")["name"]["fi"]
    assert after["live"] == f"{LABELS['fi']['updated']}: {name}: {LABELS['fi']['closed']}"
    animation = browser.execute_script(
        "return getComputedStyle(document.querySelector('#changing').shadowRoot"
        ".querySelector('.unit')).animationName;"
    )
    assert animation == ("none" if reduced_motion else "service-status-updated")


def test_the_pages_css_does_not_reach_inside_and_custom_properties_theme_it(
    server, portal, browser
):
    hostile = """<style>
body { color: #ff00ff; font-size: 6px; line-height: 0.2; letter-spacing: 1em; font-style: italic;
       text-transform: uppercase; text-align: right; visibility: hidden; }
p, ul, li, a, span, article, dl, dt, dd, time, svg, div, h3 { display: none !important;
       color: #ff00ff !important; background: #00ff00 !important; }
service-status { display: block; }
#themed { --service-status-limited-color: rgb(0, 0, 0);
          --service-status-limited-background: rgb(255, 255, 0); }
</style>"""
    body = "".join(
        f'<service-status id="{name}" unit="{PAKILA}" at="{LIMITED_AT}" lang="en"></service-status>'
        for name in ("plain", "themed")
    )
    browser.get(portal.page(server, "hostile", body, head=hostile))
    wait_rendered(browser, "service-status")
    style = """
const root = document.querySelector(arguments[0]).shadowRoot;
const of = (selector) => getComputedStyle(root.querySelector(selector));
return {
  text: root.querySelector('.content').innerText,
  color: of('.root').color, size: of('.root').fontSize, transform: of('.root').textTransform,
  visibility: of('.root').visibility, badge_color: of('.badge').color,
  badge_background: of('.badge').backgroundColor, display: of('.unit').display,
};
"""
    plain = browser.execute_script(style, "#plain")
    themed = browser.execute_script(style, "#themed")
    for shown in (plain, themed):
        assert "Open with limits" in shown["text"] and "Pakila" in shown["text"]
        assert shown["color"] == "rgb(27, 27, 27)"
        assert shown["size"] == "16px"
        assert shown["transform"] == "none"
        assert shown["visibility"] == "visible"
        assert shown["display"] == "block"
    assert plain["badge_color"] == "rgb(107, 68, 0)"
    assert plain["badge_background"] == "rgb(253, 240, 213)"
    assert themed["badge_color"] == "rgb(0, 0, 0)"
    assert themed["badge_background"] == "rgb(255, 255, 0)"


def test_its_links_are_reached_with_the_keyboard_and_show_their_focus(server, portal, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    url = portal.page(
        server,
        "keyboard",
        f'<service-status id="keys" unit="{PAKILA}" at="{LIMITED_AT}" lang="en"></service-status>'
        '<p><a href="#after" id="after">After the widget</a></p>',
    )
    browser.get(url)
    wait_rendered(browser, "#keys")
    (widget,) = read(browser, "#keys")
    links = widget["units"][0]["hrefs"]
    assert len(links) >= 2
    focused = """
const host = document.activeElement;
const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : null;
const element = inner || host;
const style = getComputedStyle(element);
return {host: host.id, href: element.getAttribute('href'),
        outline: style.outlineStyle, width: style.outlineWidth};
"""
    reached = []
    for _ in range(len(links) + 1):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        reached.append(browser.execute_script(focused))
    assert [r["href"] for r in reached] == [*links, "#after"]
    for stop in reached[:-1]:
        assert stop["host"] == "keys"
        assert (stop["outline"], stop["width"]) == ("solid", "3px")


def test_unknown_values_and_unsafe_data_do_not_break_it(server, portal, browser):
    # The page rewrites the API's status answer before the widget sees it: a state, a certainty
    # and a reason this version does not know, a text only in a language it does not speak,
    # markup in a text, unsafe and odd addresses, a date it cannot read.
    tamper = """<script>
const realFetch = window.fetch;
window.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  if (!String(input).includes('/status') || response.status !== 200) return response;
  const status = await response.json();
  Object.assign(status, {
    state: 'open_by_appointment', open_to_anyone: true, new_clients_admitted: null,
    next_change: 'not a date',
    since: null, reasons: [{code: 'something_new', detail: 'Something new.'}],
    notices: [
      {id: 'only-german', state: 'brand_new', certainty: 'rumoured',
       text: {fi: null, sv: null, en: null, de: 'Nur auf Deutsch'}, source_urls: []},
      {id: 'markup', state: 'open', certainty: 'in_force',
       text: {fi: '<img src=x onerror="window.pwned = true">', sv: null, en: null},
       source_urls: ['javascript:window.pwned = true']},
      {id: 'odd', text: null, source_urls: null},
    ],
  });
  return new Response(JSON.stringify(status), {
    status: 200, headers: {'Content-Type': 'application/json', 'ETag': '"tampered"'}});
};
</script>"""
    url = portal.page(
        server,
        "tampered",
        f'<service-status id="odd" unit="{PAKILA}" at="{LIMITED_AT}" lang="fi"></service-status>',
        head=tamper,
    )
    browser.get(url)
    wait_rendered(browser, "#odd")
    (widget,) = read(browser, "#odd")
    (card,) = widget["units"]
    assert card["badge"] == "limited"  # someone is served, on terms this version cannot name
    assert card["who"] == "open by appointment"
    assert [n["id"] for n in card["notices"]] == ["markup"]
    (notice,) = card["notices"]
    assert notice["text"] == '<img src=x onerror="window.pwned = true">'  # as text
    assert notice["link"] is None
    assert all(href.startswith("https://") for href in card["hrefs"])
    assert card["times"][LABELS["fi"]["next change"]]["text"] == "not a date"
    assert browser.execute_script(
        "return !window.pwned && !document.querySelector('#odd').shadowRoot.querySelector('img');"
    )
    assert console_errors(browser) == []


def test_the_badge_rule_covers_states_it_does_not_know(server, portal, browser):
    browser.get(portal.page(server, "rule", ""))
    cases = [
        ({"open_to_anyone": False, "state": "open"}, "closed"),
        ({"open_to_anyone": None, "state": "open"}, "unknown"),
        ({"open_to_anyone": "yes", "state": "open"}, "unknown"),
        ({}, "unknown"),
        (None, "unknown"),
        ("closed", "unknown"),
        ({"open_to_anyone": True, "state": "open"}, "open"),
        ({"open_to_anyone": True, "state": "new_clients_admitted"}, "open"),
        ({"open_to_anyone": True, "state": "open", "new_clients_admitted": False}, "limited"),
        ({"open_to_anyone": True, "state": "open", "open_to_public": False}, "limited"),
        ({"open_to_anyone": True, "state": "current_clients_only"}, "limited"),
        ({"open_to_anyone": True, "state": "new_clients_not_admitted"}, "limited"),
        ({"open_to_anyone": True, "state": "distance_service"}, "limited"),
        ({"open_to_anyone": True, "state": "activity_not_organised"}, "limited"),
        ({"open_to_anyone": True, "state": "a_state_from_the_future"}, "limited"),
    ]
    badges = browser.execute_async_script(
        "const [url, cases, done] = arguments;"
        "import(url).then((widget) => done(cases.map((c) => widget.badgeOf(c))),"
        " (error) => done(String(error)));",
        f"{server}/widget/v1.js",
        [status for status, _badge in cases],
    )
    assert badges == [badge for _status, badge in cases]


# The widget's English words for the states that say more than the badge (`.who`).
STATE_WORDS = {
    "current_clients_only": "Current clients only",
    "new_clients_admitted": "New clients admitted",
    "new_clients_not_admitted": "No new clients",
    "distance_service": "As a distance service",
    "activity_not_organised": "Some activities are not organised",
}
ADMISSION = ("new_clients_admitted", "new_clients_not_admitted")
# A time typed into the demo's date field: none of its presets.
TYPED_LOCAL = "2021-02-25T14:30"
# The fields of a datetime-local input, in the order the browser's locale shows them.
FIELD_ORDER = """
return new Intl.DateTimeFormat(navigator.language, {year: 'numeric', month: '2-digit',
  day: '2-digit', hour: '2-digit', minute: '2-digit'}).formatToParts(new Date(2021, 0, 15, 10, 30))
  .map((part) => part.type).filter((type) => type !== 'literal');
"""


def type_local_time(browser, field, local: str) -> None:
    """Type a wall-clock time ("2021-02-25T14:30") into a datetime-local input as a user does:
    with the keyboard, field by field in the order the browser's locale shows them."""
    from selenium.webdriver.common.keys import Keys

    moment = datetime.fromisoformat(local)
    order = browser.execute_script(FIELD_ORDER)
    hour = (moment.hour % 12 or 12) if "dayPeriod" in order else moment.hour
    keys = {
        "year": f"{moment.year:04d}",
        "month": f"{moment.month:02d}",
        "day": f"{moment.day:02d}",
        "hour": f"{hour:02d}",
        "minute": f"{moment.minute:02d}",
        "dayPeriod": "P" if moment.hour >= 12 else "A",
    }
    for part in order:
        field.send_keys(keys[part])
        if part == "year":  # a year may have more digits: the field waits, Tab moves on
            field.send_keys(Keys.TAB)


def statuses_at(server: str, at: str) -> dict[str, dict]:
    """Each unit of the demo's organization: its status at `at`, as the API answers."""
    page = api(
        server,
        f"/v1/units?organization_id={ORGANIZATION}&include=status&page_size=500&at={quote(at)}",
    )
    return {unit["id"]: unit["statuses"][0] for unit in page["results"]}


def shows_status(card: dict, status: dict) -> bool:
    """A card shows the API's status: its badge, and its state in words where the state says
    more than the badge (and no such words where it does not)."""
    who = card["who"] or ""
    words = STATE_WORDS.get(status["state"])
    if words:
        stated = words in who
    else:  # open, closed, unknown: the badge says it; only admission may be added
        stated = not any(w in who for s, w in STATE_WORDS.items() if s not in ADMISSION)
    return card["badge"] == expected_badge(status) and stated


def states_of_the_shipped_data(server: str) -> set[str]:
    """Every `state` the shipped data produces for the demo's units: each day's state over the
    period the catalogue says the data covers, as the API's opening hours answer."""
    from datetime import timedelta

    import rdflib

    catalogue = rdflib.Graph().parse(data=json.dumps(api(server, "/v1/catalog")), format="json-ld")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    first, last = (
        next(catalogue.objects(None, dcat[name])).toPython() for name in ("startDate", "endDate")
    )
    states = set()
    for unit in statuses_at(server, f"{first.isoformat()}T12:00:00+02:00"):
        start = first
        while start <= last:
            end = min(start + timedelta(days=90), last)
            hours = api(server, f"/v1/units/{unit}/opening-hours?start={start}&end={end}")
            states |= {day["state"] for day in hours["days"]}
            start = end + timedelta(days=1)
    return states


def test_the_demo_page_shows_every_badge_and_follows_the_chosen_date(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(f"{server}/widget/")
    wait_rendered(browser, "service-status, service-status-list")
    try:
        examples = browser.execute_script(
            "return [...document.querySelectorAll('[data-example]')].map((e) => e.dataset.example);"
        )
        gallery = read(browser, "[data-example] service-status")
        assert [w["units"][0]["badge"] for w in gallery] == examples
        assert sorted(examples) == ["closed", "limited", "open", "unknown"]
        snippets = browser.execute_script(
            "return [...document.querySelectorAll('pre code')].map((c) => c.textContent);"
        )
        assert f'<script type="module" src="{server}/widget/v1.js"></script>' in snippets[0]

        chosen = browser.find_element(By.CSS_SELECTOR, "#chosen service-status-list")

        def wait_until_it_shows(at: str) -> dict[str, dict]:
            """Wait until the chosen list is asked for `at` and shows, for every unit, what
            the API answers at `at`; those statuses."""
            WebDriverWait(browser, TIMEOUT).until(
                lambda _b: chosen.get_attribute("at") == at, f"at={at}"
            )
            expected = statuses_at(server, at)

            def shown(_browser) -> bool:
                (widget,) = read(browser, "#chosen service-status-list")
                cards = {card["id"]: card for card in widget["units"]}
                return cards.keys() == expected.keys() and all(
                    shows_status(cards[unit], status) for unit, status in expected.items()
                )

            WebDriverWait(browser, TIMEOUT).until(shown, f"at {at}: expected {expected}")
            assert f'at="{at}"' in browser.find_element(By.ID, "chosen-snippet").text
            return expected

        from api.web.widget import HELSINKI, PRESETS

        badges: set[str] = set()
        states: set[str] = set()
        for local, _label in PRESETS:  # every date the demo offers, each by its button
            browser.find_element(By.CSS_SELECTOR, f'[data-at="{local}"]').click()
            # The instant with the offset of that day in Helsinki.
            at = datetime.fromisoformat(local).replace(tzinfo=HELSINKI).isoformat()
            expected = wait_until_it_shows(at)
            badges |= {expected_badge(status) for status in expected.values()}
            states |= {status["state"] for status in expected.values()}
        assert badges == {"open", "limited", "closed", "unknown"}  # the presets show every badge
        assert states_of_the_shipped_data(server) <= states  # and every state of the data

        # A date and time of one's own, typed into the field.
        type_local_time(browser, browser.find_element(By.ID, "choose-at"), TYPED_LOCAL)
        assert browser.find_element(By.ID, "choose-at").get_attribute("value") == TYPED_LOCAL
        wait_until_it_shows(
            datetime.fromisoformat(TYPED_LOCAL).replace(tzinfo=HELSINKI).isoformat()
        )

        Select(browser.find_element(By.ID, "choose-lang")).select_by_value("fi")
        WebDriverWait(browser, TIMEOUT).until(
            lambda _b: read(browser, "#chosen service-status-list")[0]["lang"] == "fi"
        )
        assert 'lang="fi"' in browser.find_element(By.ID, "chosen-snippet").text
    finally:
        full_page_screenshot(browser, "widget-demo.png")


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (sdk_node_modules() / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


AXE_RUN = """
const done = arguments[arguments.length - 1];
const script = document.createElement('script');
script.textContent = arguments[0];
document.head.append(script);
axe.run(document).then((results) => done({
  version: axe.version,
  violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  })),
  passes: results.passes.map((p) => ({id: p.id, targets: p.nodes.map((n) => n.target)})),
}), (error) => done({error: String(error)}));
"""


@pytest.mark.parametrize("page", ["portal", "demo"])
def test_no_accessibility_violations_by_axe(server, portal, browser, axe_source, page):
    url = states_page(server, portal) if page == "portal" else f"{server}/widget/"
    browser.get(url)
    wait_rendered(browser, "service-status, service-status-list")
    browser.set_script_timeout(TIMEOUT)
    results = browser.execute_async_script(AXE_RUN, axe_source)
    assert "error" not in results, results
    pinned = json.loads((PROJECT_ROOT / "tests" / "sdk" / "package.json").read_text())
    assert results["version"] == pinned["devDependencies"]["axe-core"]
    assert results["violations"] == [], json.dumps(results["violations"], indent=1)

    # It looked inside the shadow roots: a node's target there is a path of selectors, one per
    # shadow root, and the badges' contrast was among what passed.
    def in_shadow(target) -> bool:
        return isinstance(target[0], list)

    checked = {p["id"] for p in results["passes"] if any(map(in_shadow, p["targets"]))}
    assert {"color-contrast", "aria-allowed-attr", "list", "definition-list"} <= checked
    contrast = next(p for p in results["passes"] if p["id"] == "color-contrast")
    assert any(".badge" in " ".join(t[0]) for t in contrast["targets"] if in_shadow(t))
