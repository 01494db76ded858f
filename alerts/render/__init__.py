"""Alert rendering, apart from sending: `message` (the message model and what both renderings
share), `slack` (a Block Kit payload), `mail` (a MIME mail whose text and right-to-left HTML
come from the Jinja templates in `templates/`, the HTML autoescaped).

The dispatcher and the transports need only the names below.
"""

from alerts.render.mail import render_email
from alerts.render.message import AlertMessage, Amount, Coverage, DigestItem
from alerts.render.slack import render_slack

__all__ = [
    "AlertMessage",
    "Amount",
    "Coverage",
    "DigestItem",
    "render_email",
    "render_slack",
]
