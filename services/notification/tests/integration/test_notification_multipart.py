"""Every email the system sends is multipart: a text part and an HTML part rendered from the
same template data, in Japanese and English, with links to the configured public address
(R27, issue 18). Each template is recorded in the real database and mailed by the running
sender through the real SMTP sink."""

from __future__ import annotations

import re
import uuid
from typing import Any

from notification.domain.emails import TEMPLATES
from notification.service_layer.deliveries import record_delivery
from notification.service_layer.unit_of_work import new_uow
from servicekit.testing.smtp import SmtpSink

from ..unit.test_notification_templates import SAMPLES

PUBLIC = "https://mall.example"


async def test_r27_every_email_of_every_template_is_text_and_html_in_both_languages(
    start_notification: Any, smtp_sink: SmtpSink
) -> None:
    async with start_notification(
        smtp_host=smtp_sink.host, smtp_port=smtp_sink.port, web_base_url=f"{PUBLIC}/"
    ) as n:
        sent: dict[uuid.UUID, tuple[str, str]] = {}
        async with new_uow(n.runtime) as uow:
            for template in TEMPLATES:
                data, _ = SAMPLES[template]
                for language in ("ja", "en"):
                    event_id = uuid.uuid4()
                    sent[event_id] = (template, language)
                    await record_delivery(
                        uow=uow,
                        event_id=event_id,
                        event_type="test.multipart",
                        template=template,
                        member_id=uuid.uuid4(),
                        recipient=f"{template}.{language}@example.jp",
                        language=language,
                        payload={"name": "山田 太郎", **data},
                    )
            await uow.commit()

        for event_id, (template, language) in sent.items():
            mail = await smtp_sink.wait_for(lambda m, e=event_id: m["X-Bizmall-Event-ID"] == str(e))
            where = f"{template}/{language}"
            assert mail["X-Bizmall-Template"] == template
            assert mail.get_content_type() == "multipart/alternative", where
            text_part, html_part = mail.get_body(("plain",)), mail.get_body(("html",))
            assert text_part is not None and html_part is not None, where
            text, html = str(text_part.get_content()), str(html_part.get_content())
            assert "山田 太郎" in text and "山田 太郎" in html, where
            assert f'<html lang="{language}">' in html, where
            text_links = set(re.findall(r"https?://[^\s）」]+", text))
            html_links = set(re.findall(r'href="([^"]+)"', html))
            # The links of the text are the links of the HTML, all absolute to the site.
            assert text_links and text_links <= html_links, where
            assert all(link.startswith(PUBLIC) for link in text_links | html_links), where
        assert len(sent) == 2 * len(TEMPLATES)
