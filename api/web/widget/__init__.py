"""`/widget/`: the embeddable status widget and its demo page.

`/widget/v1.js` is one ES module with no dependencies: a page anywhere embeds it with
`<script type="module" src=".../widget/v1.js">` and shows `<service-status unit="...">` or
`<service-status-list organization="...">`; it reads this API (whose answers any origin may
read). `/widget/` is the demo page: every badge of the shipped data, a date to choose, and
snippets to copy.

Both are files shipped with the code, served through the app's normal pipeline (api/web/caching.py:
ETag and Last-Modified, Cache-Control, CORS, compression; the rate limits count them), and
their content is part of their ETag (`versioned_by_content`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, render_template_string, url_for
from werkzeug.wrappers import Response

from api.web.caching import versioned_by_content

HERE = Path(__file__).parent
SCRIPT = (HERE / "v1.js").read_bytes()
DEMO = (HERE / "demo.html").read_text(encoding="utf-8")
# What the demo page shows: the organization of the shipped data, and an instant for each
# badge (the README's "Status widget" names the same).
EXAMPLE_ORGANIZATION = "social-rehabilitation-team"
EXAMPLE_UNIT = "pakila-work-centre"
EXAMPLES = (
    ("open", EXAMPLE_UNIT, "2020-11-16T10:00:00+02:00"),
    ("limited", EXAMPLE_UNIT, "2021-01-15T10:00:00+02:00"),
    ("closed", EXAMPLE_UNIT, "2021-07-07T12:00:00+03:00"),
    ("unknown", "uusix-pop-up-shop-hakaniemi", "2021-03-15T10:00:00+02:00"),
)
# Dates the demo offers, each with what the shipped data shows then (Helsinki wall-clock time).
PRESETS = (
    ("2020-11-16T10:00", "16 Nov 2020, 10:00: open, and unknown where nothing is said"),
    ("2021-01-15T10:00", "15 Jan 2021, 10:00: limited, closed and unknown"),
    ("2021-03-15T10:00", "15 Mar 2021, 10:00: open, while the notice versions disagree"),
    ("2021-07-07T12:00", "7 Jul 2021, 12:00: the summer closure"),
    ("2026-01-15T12:00", "15 Jan 2026, 12:00: unknown, past the knowledge horizon"),
)
DEFAULT_PRESET = PRESETS[1][0]
HELSINKI = ZoneInfo("Europe/Helsinki")

blp = Blueprint("widget", __name__)


@blp.get("/widget/v1.js")
@versioned_by_content(lambda: SCRIPT)
def script() -> Response:
    """The widget: one ES module."""
    return current_app.response_class(SCRIPT, mimetype="text/javascript")


@blp.get("/widget/")
@versioned_by_content(lambda: DEMO)
def demo() -> str:
    """The demo page, with snippets to copy."""
    return render_template_string(
        DEMO,
        script_url=url_for("widget.script", _external=True),
        organization=EXAMPLE_ORGANIZATION,
        unit=EXAMPLE_UNIT,
        examples=EXAMPLES,
        presets=PRESETS,
        default_preset=DEFAULT_PRESET,
        default_at=datetime.fromisoformat(DEFAULT_PRESET).replace(tzinfo=HELSINKI).isoformat(),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
