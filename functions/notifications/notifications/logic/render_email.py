"""A notification written as an e-mail, from the maintainers' templates in
`notifications/templates/`: `<name>.txt` for the plain-text body, `<name>.html` for the
HTML one, both `string.Template`s (`${amount}`). Field values are escaped in HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from notifications.models import Notification

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


class EmailNotRenderable(Exception):
    """The template is missing, or the notification lacks a field it needs: no retry
    will render it."""


def render_email(notification: Notification) -> Email:
    fields = {"subject": notification.subject, "message": notification.message}
    fields |= notification.fields
    escaped = {name: html.escape(value) for name, value in fields.items()}
    name = notification.template
    try:
        return Email(
            subject=notification.subject,
            text=_template(f"{name}.txt").substitute(fields),
            html=_template(f"{name}.html").substitute(escaped),
        )
    except KeyError as missing:
        raise EmailNotRenderable(f"template {name!r} needs the field {missing.args[0]!r}") from None
    except FileNotFoundError as missing:
        raise EmailNotRenderable(f"no template file {Path(missing.filename).name}") from None


@cache
def _template(file_name: str) -> Template:
    return Template((TEMPLATES_DIR / file_name).read_text(encoding="utf-8"))
