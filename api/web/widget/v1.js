/**
 * The service status widget, version 1: one ES module, no dependencies, served by the API.
 *
 *   <script type="module" src="https://api.example.org/widget/v1.js"></script>
 *   <service-status unit="pakila-work-centre" lang="fi"></service-status>
 *   <service-status-list organization="social-rehabilitation-team" lang="sv"></service-status-list>
 *
 * It reads the API that served it (the address this module was loaded from). Attributes, CSS
 * custom properties and the badge rules are documented on the demo page (/widget/) and in the
 * README ("Status widget"). Everything it shows is set as text, never as markup, and links are
 * followed only to http(s) addresses.
 */

const API_ROOT = new URL("../", import.meta.url);
const LANGUAGES = ["fi", "sv", "en"];
// A text missing in the chosen language is shown in the first of these it has, labelled with
// the language it is in.
const FALLBACK_LANGUAGES = ["en", "fi", "sv"];
const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };
const DEFAULT_REFRESH_SECONDS = 300;
const MIN_REFRESH_SECONDS = 10;
const PAGE_SIZE = 500;

/** The four badges, and how one is read from a status of the API. */
export const BADGES = ["open", "limited", "closed", "unknown"];
// Served without restriction: any other state, one of those below and any state this version
// does not know, restricts who is served.
const UNRESTRICTED_STATES = new Set(["open", "new_clients_admitted"]);
const WHO_IS_SERVED = ["open_to_public", "open_to_current_clients", "new_clients_admitted"];

export function badgeOf(status) {
  if (status === null || typeof status !== "object") return "unknown";
  if (status.open_to_anyone === false) return "closed";
  if (status.open_to_anyone !== true) return "unknown";
  const restricted =
    !UNRESTRICTED_STATES.has(status.state) || WHO_IS_SERVED.some((flag) => status[flag] === false);
  return restricted ? "limited" : "open";
}

const TEXT = {
  en: {
    badge: { open: "Open", limited: "Open with limits", closed: "Closed", unknown: "Status unknown" },
    state: {
      open: "Open",
      closed: "Closed",
      current_clients_only: "Current clients only",
      distance_service: "As a distance service",
      new_clients_admitted: "New clients admitted",
      new_clients_not_admitted: "No new clients",
      activity_not_organised: "Some activities are not organised",
    },
    reason: {
      no_information: "No opening hours and no notice cover this time.",
      no_hours: "Notices say the unit operates, but its opening hours for this time are not known.",
      past_horizon: "No source recent enough says whether this still holds.",
      versions_disagree: "The sources do not say which version of a notice was in force then.",
      cannot_evaluate: "The unit's data cannot be evaluated.",
    },
    certainty: { possibly_in_force: "May be in force", past_horizon: "Not confirmed lately" },
    inLanguage: { fi: "in Finnish", sv: "in Swedish", en: "in English" },
    at: "Status at",
    since: "Since",
    nextChange: "Next change",
    noNextChange: "none known within a year",
    newest: "Newest information",
    notices: "Notices",
    source: "Source",
    more: "More about this unit",
    units: "Status of units",
    noUnits: "No units.",
    firstOf: (shown, count) => `The first ${shown} of ${count} units are shown.`,
    loading: "Loading the status…",
    failed: "The status could not be loaded.",
    noUnit: "No unit given: set the unit attribute.",
    noOrganization: "No organization given: set the organization attribute.",
    updated: "Updated",
  },
  fi: {
    badge: {
      open: "Avoinna",
      limited: "Avoinna rajoitetusti",
      closed: "Suljettu",
      unknown: "Tila ei tiedossa",
    },
    state: {
      open: "Avoinna",
      closed: "Suljettu",
      current_clients_only: "Vain nykyisille asiakkaille",
      distance_service: "Etäpalveluna",
      new_clients_admitted: "Uusia asiakkaita otetaan",
      new_clients_not_admitted: "Uusia asiakkaita ei oteta",
      activity_not_organised: "Osaa toiminnasta ei järjestetä",
    },
    reason: {
      no_information: "Aukioloajat tai tiedotteet eivät kata tätä ajankohtaa.",
      no_hours: "Tiedotteiden mukaan yksikkö toimii, mutta sen aukioloaikoja ei tiedetä.",
      past_horizon: "Mikään riittävän tuore lähde ei kerro, pitääkö tieto yhä paikkansa.",
      versions_disagree: "Lähteet eivät kerro, mikä tiedotteen versio oli silloin voimassa.",
      cannot_evaluate: "Yksikön tietoja ei voida arvioida.",
    },
    certainty: { possibly_in_force: "Mahdollisesti voimassa", past_horizon: "Ei vahvistettu hiljattain" },
    inLanguage: { fi: "suomeksi", sv: "ruotsiksi", en: "englanniksi" },
    at: "Tilanne",
    since: "Alkaen",
    nextChange: "Seuraava muutos",
    noNextChange: "ei tiedossa vuoden sisällä",
    newest: "Uusin tieto",
    notices: "Tiedotteet",
    source: "Lähde",
    more: "Lisätietoa yksiköstä",
    units: "Yksiköiden tilanne",
    noUnits: "Ei yksiköitä.",
    firstOf: (shown, count) => `Näytetään ensimmäiset ${shown} yksikköä ${count}:stä.`,
    loading: "Haetaan tilannetta…",
    failed: "Tilannetta ei voitu hakea.",
    noUnit: "Yksikköä ei ole annettu: aseta unit-attribuutti.",
    noOrganization: "Organisaatiota ei ole annettu: aseta organization-attribuutti.",
    updated: "Päivitetty",
  },
  sv: {
    badge: {
      open: "Öppet",
      limited: "Öppet med begränsningar",
      closed: "Stängt",
      unknown: "Läget okänt",
    },
    state: {
      open: "Öppet",
      closed: "Stängt",
      current_clients_only: "Endast för nuvarande klienter",
      distance_service: "Som distanstjänst",
      new_clients_admitted: "Nya klienter tas emot",
      new_clients_not_admitted: "Nya klienter tas inte emot",
      activity_not_organised: "En del av verksamheten ordnas inte",
    },
    reason: {
      no_information: "Inga öppettider och inga meddelanden gäller denna tid.",
      no_hours: "Enligt meddelandena är enheten i gång, men dess öppettider är inte kända.",
      past_horizon: "Ingen tillräckligt ny källa säger om uppgifterna fortfarande gäller.",
      versions_disagree: "Källorna säger inte vilken version av ett meddelande som gällde då.",
      cannot_evaluate: "Enhetens uppgifter kan inte bedömas.",
    },
    certainty: { possibly_in_force: "Gäller kanske", past_horizon: "Inte bekräftat nyligen" },
    inLanguage: { fi: "på finska", sv: "på svenska", en: "på engelska" },
    at: "Läget",
    since: "Sedan",
    nextChange: "Nästa ändring",
    noNextChange: "ingen känd inom ett år",
    newest: "Senaste uppgift",
    notices: "Meddelanden",
    source: "Källa",
    more: "Mer om enheten",
    units: "Enheternas läge",
    noUnits: "Inga enheter.",
    firstOf: (shown, count) => `De första ${shown} av ${count} enheter visas.`,
    loading: "Läget hämtas…",
    failed: "Läget kunde inte hämtas.",
    noUnit: "Ingen enhet angiven: ange attributet unit.",
    noOrganization: "Ingen organisation angiven: ange attributet organization.",
    updated: "Uppdaterat",
  },
};

// Constant markup (never data): a circle, and a mark that differs by badge.
const ICON_MARKS = {
  open: '<path d="M4.8 8.3l2.2 2.2 4.2-4.7"/>',
  limited: '<path d="M8 1.5a6.5 6.5 0 0 0 0 13z" fill="currentColor" stroke="none"/>',
  closed: '<path d="M5.5 5.5l5 5M10.5 5.5l-5 5"/>',
  unknown:
    '<path d="M6.2 6.3a1.9 1.9 0 1 1 2.6 1.8c-.5.2-.8.6-.8 1.1v.5"/>' +
    '<circle cx="8" cy="11.6" r=".45" fill="currentColor"/>',
};

const STYLE = `
:host { display: block; }
:host([hidden]) { display: none; }
.root {
  box-sizing: border-box;
  color: var(--service-status-color, #1b1b1b);
  font-family: var(--service-status-font-family);
  font-size: var(--service-status-font-size, 1rem);
  font-style: normal;
  font-weight: 400;
  line-height: 1.5;
  letter-spacing: normal;
  word-spacing: normal;
  text-align: start;
  text-indent: 0;
  text-shadow: none;
  text-transform: none;
  white-space: normal;
  visibility: visible;
}
*, *::before, *::after { box-sizing: inherit; }
p, ul, dl, dd, h1, h2, h3, h4, h5, h6 { margin: 0; }
.unit {
  background: var(--service-status-background, #ffffff);
  border: 1px solid var(--service-status-border-color, #8c8c8c);
  border-radius: var(--service-status-radius, 0.5rem);
  padding: var(--service-status-padding, 0.75rem 1rem);
}
.unit > * + * { margin-top: 0.5rem; }
.units { display: grid; gap: var(--service-status-gap, 0.75rem); list-style: none; padding: 0; }
.name { font-size: 1.125em; font-weight: 700; line-height: 1.3; }
.badge {
  display: inline-flex;
  align-items: center;
  gap: 0.4em;
  padding: 0.1em 0.65em;
  border: 1px solid currentColor;
  border-radius: 999px;
  font-weight: 700;
}
.icon { width: 1.15em; height: 1.15em; flex: none; }
.badge-open {
  color: var(--service-status-open-color, #0b5a1f);
  background: var(--service-status-open-background, #e2f3e6);
}
.badge-limited {
  color: var(--service-status-limited-color, #6b4400);
  background: var(--service-status-limited-background, #fdf0d5);
}
.badge-closed {
  color: var(--service-status-closed-color, #8a1111);
  background: var(--service-status-closed-background, #fbe4e4);
}
.badge-unknown {
  color: var(--service-status-unknown-color, #3d3d3d);
  background: var(--service-status-unknown-background, #ececec);
}
.lang-tag, .certainty {
  display: inline-block;
  margin-inline-end: 0.35em;
  padding: 0 0.35em;
  border: 1px solid currentColor;
  border-radius: 0.25em;
  color: var(--service-status-muted-color, #4a4a4a);
  font-size: 0.85em;
  font-weight: 400;
}
.name .lang-tag { margin-inline: 0.35em 0; vertical-align: middle; }
.notices { padding-inline-start: 1.25em; }
.notices li + li { margin-top: 0.35rem; }
.times > div { display: flex; flex-wrap: wrap; column-gap: 0.5em; }
.times dt { font-weight: 700; }
.times time { white-space: nowrap; }
.note, .loading { color: var(--service-status-muted-color, #4a4a4a); }
.error { color: var(--service-status-closed-color, #8a1111); }
a { color: var(--service-status-link-color, #0050a0); text-decoration: underline; }
a:focus-visible {
  outline: 3px solid var(--service-status-focus-color, #0050a0);
  outline-offset: 2px;
  border-radius: 2px;
}
.loading::before {
  content: "";
  display: inline-block;
  width: 0.75em;
  height: 0.75em;
  margin-inline-end: 0.5em;
  border-radius: 50%;
  background: currentColor;
  vertical-align: middle;
  animation: service-status-pulse 1.2s ease-in-out infinite;
}
.updated { animation: service-status-updated 1.5s ease-out; }
@keyframes service-status-pulse { 50% { opacity: 0.2; } }
@keyframes service-status-updated {
  from { box-shadow: 0 0 0 4px var(--service-status-focus-color, #0050a0); }
  to { box-shadow: 0 0 0 0 transparent; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}
.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}
`;

// --- Helpers ------------------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

function icon(badge) {
  const template = document.createElement("template");
  template.innerHTML =
    '<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false" fill="none" ' +
    'stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">' +
    `<circle cx="8" cy="8" r="6.5"/>${ICON_MARKS[badge]}</svg>`;
  return template.content.firstElementChild;
}

/** A LocalizedString in `lang`, else in the first fallback language it has: {text, lang}. */
function pick(localized, lang) {
  if (localized === null || typeof localized !== "object") return null;
  for (const candidate of [lang, ...FALLBACK_LANGUAGES]) {
    const text = localized[candidate];
    if (typeof text === "string" && text.trim() !== "") return { text, lang: candidate };
  }
  return null;
}

/** A text in its own language, with a visible label when that is not the chosen one. */
function inLanguage(found, lang, text, tagFirst = true) {
  const tag =
    found.lang === lang
      ? null
      : h("span", { class: "lang-tag", "data-fallback": found.lang }, text.inLanguage[found.lang]);
  const span = h("span", { lang: found.lang }, found.text);
  return tagFirst ? [tag, span] : [span, tag];
}

function safeUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function hostOf(address) {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:www\.)?([^/?#:]+)/i.exec(address);
  return match ? match[1] : address;
}

function link(address, label, key, hreflang = null) {
  const href = safeUrl(address);
  if (href === null) return null;
  return h("a", { href, hreflang, "data-key": key }, `${label} (${hostOf(address)})`);
}

function formatInstant(value, lang, timeZone) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const options = { dateStyle: "medium", timeStyle: "short" };
  try {
    return new Intl.DateTimeFormat(LOCALES[lang], { ...options, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(LOCALES[lang], options).format(date);
  }
}

function formatDay(value, lang) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  if (!match) return String(value);
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: "medium", timeZone: "UTC" }).format(day);
}

function time(value, shown) {
  return h("time", { datetime: value }, shown);
}

// --- One unit -----------------------------------------------------------------------------

/** Who is served, in words: the state (if it says more than the badge) and admission. */
function whoIsServed(status, text) {
  const facts = [];
  const state = typeof status.state === "string" ? status.state : "";
  if (state && !["open", "closed", "unknown"].includes(state)) {
    facts.push(text.state[state] ?? state.replaceAll("_", " "));
  }
  const implied = ["closed", "current_clients_only", "new_clients_not_admitted", "new_clients_admitted"];
  if (!implied.includes(state)) {
    if (status.new_clients_admitted === true) facts.push(text.state.new_clients_admitted);
    if (status.new_clients_admitted === false) facts.push(text.state.new_clients_not_admitted);
  }
  return facts.length ? h("p", { class: "who" }, facts.join(" · ")) : null;
}

/** Why the status is unknown: the first reason, its detail as the API words it (English). */
function whyUnknown(status, lang, text) {
  const reason = Array.isArray(status.reasons) ? status.reasons[0] : null;
  if (!reason || typeof reason !== "object") return null;
  const known = lang !== "en" ? text.reason[reason.code] : null;
  const detail =
    typeof reason.detail === "string" && reason.detail
      ? inLanguage({ text: reason.detail, lang: "en" }, lang, text)
      : null;
  return h("p", { class: "reason", "data-reason": reason.code }, known ? [known, " "] : null, detail);
}

function noticeItems(status, unitId, lang, text) {
  const notices = Array.isArray(status.notices) ? status.notices : [];
  const items = [];
  for (const notice of notices) {
    const found = pick(notice?.text, lang);
    if (found === null) continue;
    const certainty = text.certainty[notice.certainty];
    const sources = Array.isArray(notice.source_urls) ? notice.source_urls : [];
    const source = link(sources[0], text.source, `notice:${unitId}:${notice.id}`);
    items.push(
      h(
        "li",
        { "data-notice": notice.id },
        certainty ? h("span", { class: "certainty" }, certainty) : null,
        inLanguage(found, lang, text),
        source ? [" ", source] : null,
      ),
    );
  }
  return items.length ? h("ul", { class: "notices", "aria-label": text.notices }, items) : null;
}

function times(status, context, timeZone) {
  const { lang, text, at } = context;
  const rows = [];
  const row = (term, value) => rows.push(h("div", {}, h("dt", {}, term), h("dd", {}, value)));
  if (at && status.at) row(text.at, time(status.at, formatInstant(status.at, lang, timeZone)));
  if (status.since) row(text.since, time(status.since, formatInstant(status.since, lang, timeZone)));
  row(
    text.nextChange,
    status.next_change
      ? time(status.next_change, formatInstant(status.next_change, lang, timeZone))
      : text.noNextChange,
  );
  if (status.newest_information_on) {
    const day = status.newest_information_on;
    row(text.newest, time(day, formatDay(day, lang)));
  }
  return h("dl", { class: "times" }, rows);
}

function moreLink(unit, lang, text) {
  const page = pick(unit.web_page, lang);
  const sources = Array.isArray(unit.source_urls) ? unit.source_urls : [];
  const address = page ? page.text : sources[0];
  const anchor = link(address, text.more, `more:${unit.id}`, page ? page.lang : null);
  if (anchor === null) return null;
  const tag =
    page && page.lang !== lang
      ? h("span", { class: "lang-tag", "data-fallback": page.lang }, text.inLanguage[page.lang])
      : null;
  return h("p", { class: "more" }, anchor, tag ? [" ", tag] : null);
}

/** One unit's card: name, badge, who is served, why unknown, notices, times, link. */
function renderUnit(unit, status, context, index) {
  const { lang, text, headingLevel } = context;
  status = status && typeof status === "object" ? status : {};
  unit = unit && typeof unit === "object" ? unit : { id: status.unit_id };
  const badge = badgeOf(status);
  const nameId = `name-${index}`;
  const name = pick(unit.name, lang);
  const nameTag = headingLevel ? `h${headingLevel}` : "p";
  const timeZone = typeof unit.timezone === "string" ? unit.timezone : "Europe/Helsinki";
  return h(
    "article",
    { class: "unit", "aria-labelledby": nameId, "data-unit": unit.id, "data-badge": badge },
    h(nameTag, { class: "name", id: nameId }, name ? inLanguage(name, lang, text, false) : unit.id),
    h("p", { class: `badge badge-${badge}` }, icon(badge), h("span", {}, text.badge[badge])),
    whoIsServed(status, text),
    badge === "unknown" ? whyUnknown(status, lang, text) : null,
    noticeItems(status, unit.id, lang, text),
    times(status, context, timeZone),
    moreLink(unit, lang, text),
  );
}

/** What a change is announced as: the unit's name, badge and who is served. */
function summaryOf(article) {
  const parts = [".name", ".badge", ".who"].map((selector) => article.querySelector(selector));
  return parts
    .filter(Boolean)
    .map((part) => part.textContent.trim())
    .join(": ");
}

// --- Loading ------------------------------------------------------------------------------

class ApiError extends Error {
  static async from(response) {
    let detail = "";
    try {
      const problem = await response.json();
      if (problem && typeof problem.detail === "string") detail = problem.detail;
    } catch {
      // not a problem+json body: the status says enough
    }
    return new ApiError(detail || `HTTP ${response.status}`);
  }
}

/** GET an entry's URL, conditionally once it has a body: true if a new body came. */
async function load(entry, signal) {
  const headers = { Accept: "application/json" };
  if (entry.etag && entry.data !== null) headers["If-None-Match"] = entry.etag;
  const response = await fetch(entry.url, {
    headers,
    signal,
    mode: "cors",
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 304 && entry.data !== null) return false;
  if (!response.ok) throw await ApiError.from(response);
  const data = await response.json();
  entry.data = data;
  entry.etag = response.headers.get("ETag");
  return true;
}

// --- The elements -------------------------------------------------------------------------

const COMMON_ATTRIBUTES = ["lang", "at", "refresh", "heading-level"];

class StatusElement extends HTMLElement {
  static get observedAttributes() {
    return [...COMMON_ATTRIBUTES, this.sourceAttribute];
  }

  constructor() {
    super();
    const style = document.createElement("style");
    style.textContent = STYLE;
    this._content = h("div", { class: "content" });
    this._live = h("p", { class: "visually-hidden", role: "status" });
    this._root = h("div", { class: "root" }, this._content, this._live);
    this.attachShadow({ mode: "open" }).append(style, this._root);
    this._entries = new Map(); // URL -> {url, etag, data}
    this._shownUrls = null; // the URLs of what is shown
    this._items = null;
    this._error = null;
    this._html = null;
    this._summaries = null; // unit id -> summary, in this._summaryLanguage
    this._generation = 0;
    this._controller = null;
    this._timer = null;
    this._missedRefresh = false;
    this._onVisibility = () => {
      if (!document.hidden && this._missedRefresh) this.refresh();
    };
  }

  connectedCallback() {
    this._connected = true;
    document.addEventListener("visibilitychange", this._onVisibility);
    this._startTimer();
    this._render();
    this.refresh();
  }

  disconnectedCallback() {
    this._connected = false;
    document.removeEventListener("visibilitychange", this._onVisibility);
    clearInterval(this._timer);
    this._controller?.abort();
  }

  attributeChangedCallback(name, previous, value) {
    if (!this._connected || previous === value) return;
    if (name === "refresh") this._startTimer();
    else if (name === "lang" || name === "heading-level") this._render();
    else this.refresh();
  }

  /** The UI language: the nearest `lang` (this element's or a parent's) if fi/sv/en, else en. */
  get language() {
    const lang = (this.closest("[lang]")?.getAttribute("lang") ?? "").toLowerCase().split("-")[0];
    return LANGUAGES.includes(lang) ? lang : "en";
  }

  /** Seconds between refreshes: `refresh` (at least 10; 0 or "off": never), default 300. */
  get refreshSeconds() {
    const raw = (this.getAttribute("refresh") ?? "").trim().toLowerCase();
    if (raw === "off" || raw === "0") return 0;
    const seconds = Number(raw);
    if (raw === "" || !Number.isFinite(seconds) || seconds < 0) return DEFAULT_REFRESH_SECONDS;
    return Math.max(MIN_REFRESH_SECONDS, seconds);
  }

  get headingLevel() {
    const level = Number(this.getAttribute("heading-level"));
    return Number.isInteger(level) && level >= 1 && level <= 6 ? level : null;
  }

  _startTimer() {
    clearInterval(this._timer);
    this._timer = null;
    const seconds = this.refreshSeconds;
    if (seconds === 0) return;
    this._timer = setInterval(() => {
      this._missedRefresh = document.hidden;
      if (!document.hidden) this.refresh();
    }, seconds * 1000);
  }

  /** Load what the attributes ask for (conditionally, with the ETags of what is shown) and
   * show it. Resolves to true if what is shown changed, false if it stayed (a 304). */
  async refresh() {
    this._missedRefresh = false;
    const generation = ++this._generation;
    this._controller?.abort();
    const controller = new AbortController();
    this._controller = controller;
    const plan = this._plan();
    if (plan.missing) {
      this._error = { missing: plan.missing };
      this._items = null;
      this._shownUrls = null;
      return this._render();
    }
    const key = plan.urls.join(" ");
    const entries = plan.urls.map(
      (url) => this._entries.get(url) ?? { url, etag: null, data: null },
    );
    this._root.setAttribute("aria-busy", "true");
    try {
      const changed = await Promise.all(entries.map((entry) => load(entry, controller.signal)));
      if (generation !== this._generation) return false;
      this._entries = new Map(entries.map((entry) => [entry.url, entry]));
      if (!changed.some(Boolean) && this._shownUrls === key && this._error === null) return false;
      this._items = this._itemsOf(entries.map((entry) => entry.data));
      this._shownUrls = key;
      this._error = null;
      return this._render();
    } catch (error) {
      if (generation !== this._generation || error?.name === "AbortError") return false;
      if (this._shownUrls === key) return false; // a failed refresh keeps what is shown
      this._error = { detail: error?.message ?? "" };
      this._items = null;
      this._shownUrls = null;
      return this._render();
    } finally {
      if (generation === this._generation) {
        this._root.removeAttribute("aria-busy");
        this._controller = null;
      }
    }
  }

  _render() {
    const lang = this.language;
    const text = TEXT[lang];
    const context = { lang, text, headingLevel: this.headingLevel, at: this.getAttribute("at") };
    this._root.setAttribute("lang", lang);
    let children;
    if (this._error?.missing) children = [h("p", { class: "error" }, text[this._error.missing])];
    else if (this._error !== null) {
      children = [h("p", { class: "error" }, `${text.failed} ${this._error.detail}`.trim())];
    }
    else if (this._items === null) children = [h("p", { class: "loading" }, text.loading)];
    else children = this._build(this._items, context);
    const next = h("div", { class: "content" }, children);
    const html = next.innerHTML;
    if (html === this._html) return false;
    this._html = html;

    // Announce units whose badge or who is served changed (not the first rendering, nor a
    // change of language), and mark them for a brief highlight.
    const summaries = new Map(
      [...next.querySelectorAll(".unit")].map((unit) => [unit.dataset.unit, summaryOf(unit)]),
    );
    if (this._summaries !== null && this._summaryLanguage === lang) {
      const changed = [...next.querySelectorAll(".unit")].filter(
        (unit) => this._summaries.get(unit.dataset.unit) !== summaries.get(unit.dataset.unit),
      );
      for (const unit of changed) unit.classList.add("updated");
      if (changed.length) this._announce(`${text.updated}: ${changed.map(summaryOf).join("; ")}`);
    }
    if (this._items !== null) {
      this._summaries = summaries;
      this._summaryLanguage = lang;
    }

    // Keep the keyboard focus on the same link, if it is still there.
    const focused = this.shadowRoot.activeElement?.getAttribute("data-key");
    this._content.replaceWith(next);
    this._content = next;
    if (focused) {
      const again = [...next.querySelectorAll("[data-key]")].find(
        (element) => element.getAttribute("data-key") === focused,
      );
      again?.focus();
    }
    return true;
  }

  _announce(message) {
    this._live.textContent = "";
    // A new text node in a second step, so that a repeated message is announced again.
    requestAnimationFrame(() => {
      this._live.textContent = message;
    });
  }
}

/** `<service-status unit="…">`: one unit. */
class ServiceStatus extends StatusElement {
  static sourceAttribute = "unit";

  _plan() {
    const unit = (this.getAttribute("unit") ?? "").trim();
    if (!unit) return { missing: "noUnit" };
    const path = `v1/units/${encodeURIComponent(unit)}`;
    const status = new URL(`${path}/status`, API_ROOT);
    const at = this.getAttribute("at");
    if (at) status.searchParams.set("at", at);
    return { urls: [new URL(path, API_ROOT).href, status.href] };
  }

  _itemsOf([unit, status]) {
    return [{ unit, status }];
  }

  _build(items, context) {
    return items.map(({ unit, status }, index) => renderUnit(unit, status, context, index));
  }
}

/** `<service-status-list organization="…">`: the units of an organization, in one request. */
class ServiceStatusList extends StatusElement {
  static sourceAttribute = "organization";

  _plan() {
    const organization = (this.getAttribute("organization") ?? "").trim();
    if (!organization) return { missing: "noOrganization" };
    const url = new URL("v1/units", API_ROOT);
    url.searchParams.set("organization_id", organization);
    url.searchParams.set("include", "status");
    url.searchParams.set("page_size", String(PAGE_SIZE));
    const at = this.getAttribute("at");
    if (at) url.searchParams.set("at", at);
    return { urls: [url.href] };
  }

  _itemsOf([page]) {
    const results = Array.isArray(page?.results) ? page.results : [];
    const units = results.map((unit) => ({
      unit,
      status: Array.isArray(unit?.statuses) ? unit.statuses[0] : null,
    }));
    return { units, count: Number.isInteger(page?.count) ? page.count : units.length };
  }

  _build({ units, count }, context) {
    const { text } = context;
    if (units.length === 0) return [h("p", { class: "note" }, text.noUnits)];
    return [
      h(
        "ul",
        { class: "units", "aria-label": text.units },
        units.map(({ unit, status }, index) => h("li", {}, renderUnit(unit, status, context, index))),
      ),
      count > units.length ? h("p", { class: "note" }, text.firstOf(units.length, count)) : null,
    ];
  }
}

for (const [name, element] of [
  ["service-status", ServiceStatus],
  ["service-status-list", ServiceStatusList],
]) {
  if (!customElements.get(name)) customElements.define(name, element);
}

export { ServiceStatus, ServiceStatusList };
