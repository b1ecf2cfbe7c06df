"""The one base of every domain error: a stable code, an HTTP status and a translated message.

Services raise subclasses of `DomainError`; nothing else decides how they look to a person:

- the API's exception handler (`leerportaal.api.errors`) turns any `DomainError` into
  `{"code": ..., "message": ..., **details}` with `status` (and `headers`, e.g. Retry-After);
- views show `exc.message` through `leerportaal.errors.form_error` / `message_error`;
- the OpenAPI schema lists every code in `codes()`.

A subclass sets `code` (lower_snake, stable: clients branch on it), `status` and
`default_message` (Dutch msgid, English through Django i18n). A raise may pass a more specific
message and `details` (JSON-safe values that the API adds to its body, e.g. `available`).

    class CourseFull(BookingError):
        code = "course_full"
        status = 409
        default_message = _("Deze cursus is vol.")
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

_REGISTRY: dict[str, list[type[DomainError]]] = {}


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = _("Dit kan niet.")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            _REGISTRY.setdefault(cls.code, []).append(cls)

    def __init__(self, message=None, *, details: dict | None = None, headers: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.details = dict(details or {})
        self.headers = dict(headers or {})
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


def codes() -> dict[str, tuple[int, str]]:
    """Every registered code with its HTTP status and default message (for the OpenAPI schema)."""
    return {
        code: (classes[0].status, str(classes[0].default_message))
        for code, classes in sorted(_REGISTRY.items())
    }


def form_error(form, exc: DomainError, field: str | None = None) -> None:
    """Show a domain error on a Django form (non-field unless `field` is given)."""
    form.add_error(field, exc.message)


def message_error(request, exc: DomainError, *, about: str | None = None) -> None:
    """Show a domain error as a flash message on the next page (`about: message` when the page
    names several things, e.g. one line per refused employment)."""
    from django.contrib import messages

    messages.error(request, f"{about}: {exc.message}" if about else exc.message)
