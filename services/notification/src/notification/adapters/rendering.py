"""Rendering emails from the Jinja2 templates in ``notification/templates/<language>/``,
and composing the message a delivery stands for.

Each template file defines a ``subject`` block and a ``body`` block (plain text).
``StrictUndefined`` turns a variable the data does not provide into an error
instead of a blank in a customer's email.

Every email is multipart (text and HTML, issue 18): the HTML part is the same rendered
text, escaped, wrapped in one layout (``templates/_layout.html``): paragraphs kept,
links to the configured public address (``web_base_url``) made clickable, the footer
set apart. The wording exists once, in the text template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from bizmall_events import Language
from notification.config import Settings
from notification.domain.delivery import Delivery, PermanentFailure
from notification.domain.emails import SEALED_TOKEN_KEY, TOKEN_LINK_PATHS, TRACE_KEY
from servicekit.crypto import SecretBox

JST = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered email: one-line subject, plain-text body and the same body as HTML."""

    subject: str
    body: str
    html: str = ""


#: A link in a rendered body; it ends at white space or at a closing bracket of Japanese text.
_URL = re.compile(r"https?://[^\s<>\"'）」』】、。]+")
#: The line that starts every template's footer (``_footer.txt``).
_FOOTER_RULE = "--"


def _linked(line: str, base_url: str) -> Markup:
    """One line of text as HTML: escaped, with links to the site clickable (any other
    address, e.g. in an answer of ops, stays text)."""
    parts: list[Markup] = []
    last = 0
    for match in _URL.finditer(line):
        url = match.group(0)
        parts.append(escape(line[last : match.start()]))
        if url == base_url or url.startswith(base_url + "/"):
            parts.append(Markup('<a href="{0}" style="color:#1d4ed8;">{0}</a>').format(url))
        else:
            parts.append(escape(url))
        last = match.end()
    parts.append(escape(line[last:]))
    return Markup("").join(parts)


def html_paragraphs(body: str, base_url: str) -> tuple[list[Markup], list[Markup]]:
    """The text ``body`` as HTML paragraphs (lines joined by ``<br>``), and the footer's
    lines apart from them."""
    text, rule, footer = body.strip().rpartition(f"\n{_FOOTER_RULE}\n")
    if not rule:  # no footer
        text, footer = footer, ""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    br = Markup("<br>\n")
    html = [br.join(_linked(line, base_url) for line in p.split("\n")) for p in paragraphs]
    return html, [_linked(line, base_url) for line in footer.strip().split("\n") if line]


def _localize(value: Any, language: Language) -> Any:
    # Names arrive as {"ja": ..., "en": ...} (LocalizedText); the email shows one.
    if isinstance(value, Mapping):
        if set(value) == {"ja", "en"}:
            return value[language]
        return {k: _localize(v, language) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_localize(v, language) for v in value]
    return value


def _yen(amount: int, language: Language) -> str:
    return f"{amount:,}円" if language == "ja" else f"JPY {amount:,}"


def _day(value: str | date, language: Language) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime("%d %b %Y").lstrip("0")


def _moment(value: str | datetime, language: Language) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(JST)
    if language == "ja":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（日本時間）"
    return f"{local.strftime('%d %b %Y').lstrip('0')} {local:%H:%M} JST"


class EmailRenderer:
    """Renders a named template in a language with the given data."""

    def __init__(self, *, common: Mapping[str, Any]) -> None:
        self._common = dict(common)
        self._base_url = str(self._common.get("base_url", "")).rstrip("/")
        self._environments = {language: self._environment(language) for language in ("ja", "en")}
        self._layout = Environment(
            loader=PackageLoader("notification", "templates"),
            undefined=StrictUndefined,
            autoescape=True,
        ).get_template("_layout.html")

    @staticmethod
    def _environment(language: Language) -> Environment:
        env = Environment(
            loader=PackageLoader("notification", f"templates/{language}"),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text emails
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["yen"] = lambda amount: _yen(amount, language)
        env.filters["day"] = lambda value: _day(value, language)
        env.filters["moment"] = lambda value: _moment(value, language)
        return env

    def render(self, template: str, language: Language, data: Mapping[str, Any]) -> RenderedEmail:
        """The email ``template`` in ``language``; raises on any variable left undefined."""
        env = self._environments[language]
        compiled = env.get_template(f"{template}.txt")
        values = {**_localize(self._common, language), **_localize(dict(data), language)}
        context = compiled.new_context(values)
        subject = " ".join("".join(compiled.blocks["subject"](context)).split())
        body = "".join(compiled.blocks["body"](context)).strip() + "\n"
        paragraphs, footer = html_paragraphs(body, self._base_url)
        html = self._layout.render(
            lang=language,
            subject=subject,
            base_url=self._base_url,
            paragraphs=paragraphs,
            footer=footer,
        )
        return RenderedEmail(subject=subject, body=body, html=html)


def renderer_for(settings: Settings) -> EmailRenderer:
    """The email renderer with the values every email shows."""
    return EmailRenderer(
        common={
            "base_url": settings.web_base_url.rstrip("/"),
            "contact_center_phone": settings.contact_center_phone,
            "contact_center_hours": {
                "ja": settings.contact_center_hours_ja,
                "en": settings.contact_center_hours_en,
            },
        }
    )


class MessageComposer:
    """Turns a delivery into the email to hand to SMTP, opening its sealed token."""

    def __init__(self, settings: Settings) -> None:
        self._renderer = renderer_for(settings)
        self._box = SecretBox(settings.event_secret_key)
        self._base_url = settings.web_base_url.rstrip("/")
        self._mail_from = settings.mail_from

    def render(self, delivery: Delivery) -> RenderedEmail:
        """The email of ``delivery``, its sealed token (if any) opened into the link;
        raises :class:`PermanentFailure` when that cannot work however long one waits."""
        data = dict(delivery.payload)
        data.pop(TRACE_KEY, None)
        sealed = data.pop(SEALED_TOKEN_KEY, None)
        try:
            if sealed is not None:
                token = self._box.open(sealed)
                path = TOKEN_LINK_PATHS[delivery.template]
                data["link"] = f"{self._base_url}{path}?token={quote(token, safe='')}"
            language = "en" if delivery.language == "en" else "ja"
            return self._renderer.render(delivery.template, language, data)
        except (ValueError, KeyError, TemplateError) as exc:
            raise PermanentFailure(
                f"cannot render {delivery.template}: {type(exc).__name__}"
            ) from None

    def compose(self, delivery: Delivery) -> EmailMessage:
        """The full message of ``delivery``: headers, the text and HTML parts
        (multipart/alternative) and its attachments, if any (multipart/mixed)."""
        rendered = self.render(delivery)
        message = EmailMessage()
        message["From"] = self._mail_from
        message["To"] = delivery.recipient
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        # Derived from the delivery: a copy mailed again after a crash has the same one.
        message["Message-ID"] = f"<{delivery.id}@notification.bizmall>"
        message["X-Bizmall-Template"] = delivery.template
        message["X-Bizmall-Event-ID"] = str(delivery.event_id)
        message.set_content(rendered.body, charset="utf-8")
        message.add_alternative(rendered.html, subtype="html", charset="utf-8")
        for attachment in delivery.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return message
