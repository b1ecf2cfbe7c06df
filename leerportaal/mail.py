"""Every e-mail of the portal, allauth's included, goes out through here: one voice, one layout.

A mail is three templates: `<name>_subject.txt` (one line, no prefix: the product name is added
here, never the host), `<name>.txt` (the plain-text part) and, optionally, `<name>.html` (the HTML
part's content). Without an HTML template the HTML part is the text part, escaped, with its links
made clickable. Both parts sit in one layout (templates/email/base.html) with the site's name and
a footer linking to SITE_URL. Mail HTML is not a page of the site: no CSP, so styles are inline.

Texts render in the recipient's language: users have no language of their own (yet), so the
portal's default (settings.LANGUAGE_CODE) unless the caller passes one, e.g. the request's.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

SITE_NAME = "Leerportaal"


def base_context() -> dict:
    return {"site_name": SITE_NAME, "site_url": settings.SITE_URL}


def subject_format(subject: str) -> str:
    """One line, "Leerportaal: …"; a subject that already starts with the name keeps it once."""
    subject = " ".join(subject.splitlines()).strip()
    if subject.startswith(f"{SITE_NAME}:"):
        return subject
    return f"{SITE_NAME}: {subject}"


def message_build(
    *,
    subject: str,
    text: str,
    to: list[str],
    html: str | None = None,
    headers: dict | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """A mail from rendered parts: the subject in the product's voice, the text part, and the
    HTML part in the layout (`html` is its content; without it, the text made into HTML).
    Call inside the recipient's language (the layout's footer is translated)."""
    context = {**base_context(), "subject": subject_format(subject), "text": text.strip()}
    if html is not None:
        context["content"] = html
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=render_to_string("email/base.txt", context),
        from_email=from_email,
        to=to,
        headers=headers,
    )
    message.attach_alternative(render_to_string("email/base.html", context), "text/html")
    return message


def message_render(
    name: str,
    context: dict,
    *,
    to: list[str],
    language: str | None = None,
    text_suffix: str = ".txt",
    html_suffix: str = ".html",
    request=None,
    headers: dict | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """Render `<name>_subject.txt`, `<name><text_suffix>` and, if present, `<name><html_suffix>`
    in `language` (default: the portal's) into one mail."""
    context = {**base_context(), **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{name}_subject.txt", context, request)
        text = render_to_string(f"{name}{text_suffix}", context, request)
        try:
            html = render_to_string(f"{name}{html_suffix}", context, request)
        except TemplateDoesNotExist:
            html = None
        return message_build(
            subject=subject, text=text, html=html, to=to, headers=headers, from_email=from_email
        )


def mail_send(name: str, context: dict, *, to: list[str], language: str | None = None) -> None:
    """Render and send one mail (see message_render)."""
    message_render(name, context, to=to, language=language).send()
