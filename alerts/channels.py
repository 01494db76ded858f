"""The configured alert channels, built from `[alerts.slack]` and `[alerts.email]`, and each
route's targets (`[[alerts.routes]]`), keyed by destination name (``slack``,
``email@route0``; `crawler.storage.outbox.Destination`).

With no channel configured, alerts go to the log so that `make run` still shows them. Which
destinations an alert has, and which can thread, is storage's to say
(`crawler.storage.outbox.destinations`): it queues the rows.
"""

from __future__ import annotations

import logging

from alerts.render import AlertMessage, render_slack
from alerts.transport import Transport
from crawler.config import AlertsConfig
from crawler.storage.outbox import Destination

log = logging.getLogger("marsad.alerts")


class LogTransport:
    """Writes the alert as one log line; sending to the log always succeeds."""

    name = "log"
    can_thread = False

    def send(self, msg: AlertMessage, *, reply_to: str | None = None) -> str | None:
        log.warning("ALERT %s", render_slack(msg)["text"])
        return None


def build_transports(alerts: AlertsConfig) -> dict[str, Transport]:
    """The channels that send; their ``${VAR}`` secrets are resolved here if not yet (a config
    the daemon re-read on SIGHUP has them unresolved)."""
    from alerts.email import SmtpTransport
    from alerts.slack import SlackBotTransport, SlackWebhookTransport

    alerts = alerts.with_secrets()
    transports: dict[str, Transport] = {}
    slack = alerts.slack
    if slack is not None:
        timeout = slack.timeout.total_seconds()
        if slack.bot_token is not None:
            transports["slack"] = SlackBotTransport(
                slack.bot_token.get_secret_value(),
                slack.channel or "",
                base_url=slack.api_base_url,
                timeout=timeout,
            )
        elif slack.webhook_url is not None:
            transports["slack"] = SlackWebhookTransport(
                slack.webhook_url.get_secret_value(), timeout=timeout
            )
    mail = alerts.email

    def smtp(recipients: list[str]) -> SmtpTransport:
        assert mail is not None
        return SmtpTransport(
            mail.smtp_host,
            mail.smtp_port,
            starttls=mail.starttls,
            ssl=mail.ssl,
            username=mail.username,
            password=mail.password.get_secret_value() if mail.password else None,
            sender=mail.sender,
            recipients=recipients,
            timeout=mail.timeout.total_seconds(),
        )

    if mail is not None:
        transports["email"] = smtp(list(mail.recipients))
    for i, route in enumerate(alerts.routes):
        # The config checked that a route's channel has its server: a bot token, SMTP settings.
        if route.slack_webhook_url is not None:
            transports[Destination("slack", i).name] = SlackWebhookTransport(
                route.slack_webhook_url.get_secret_value(),
                timeout=slack.timeout.total_seconds() if slack else 10,
            )
        elif route.slack_channel and slack is not None and slack.bot_token is not None:
            transports[Destination("slack", i).name] = SlackBotTransport(
                slack.bot_token.get_secret_value(),
                route.slack_channel,
                base_url=slack.api_base_url,
                timeout=slack.timeout.total_seconds(),
            )
        if route.email_recipients and mail is not None:
            transports[Destination("email", i).name] = smtp(list(route.email_recipients))
    if not {"slack", "email"} & transports.keys():
        # What no route takes goes to the default channels, here the log.
        transports["log"] = LogTransport()
    return transports
