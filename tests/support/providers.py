"""Registering providers as tests do it: the form's data, proof files real and disguised."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from leerrekening.models import ProviderQualityMark
from leerrekening.providers import services

VALID_IBAN = "NL91ABNA0417164300"
OTHER_VALID_IBAN = "NL44RABO0123456789"

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
HTML_BYTES = b"<!doctype html><script>alert(document.cookie)</script>"


def proof_file(
    content: bytes = PDF_BYTES, name: str = "keurmerk.pdf", content_type="application/pdf"
):
    return SimpleUploadedFile(name, content, content_type=content_type)


def registration_data(**overrides) -> dict:
    """The POST of /opleider/aanmelden/ for a new provider with one mark (NRTO) and its proof."""
    data = {
        "name": "Leerhuis Utrecht B.V.",
        "kvk_number": "12345678",
        "street": "Oudegracht",
        "house_number": "12a",
        "postcode": "3511 ab",
        "city": "Utrecht",
        "contact_name": "Petra de Vries",
        "contact_phone": "030 123 4567",
        "iban": "NL91 ABNA 0417 1643 00",
        "mark_nrto": "on",
        "proof_nrto": proof_file(),
        "terms": "on",
        "account-full_name": "Petra de Vries",
        "account-email": "petra@leerhuis.example",
        "account-password": "een-lang-Wachtwoord-42",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def provider_registered(user, *, kvk="87654321", name="Wachtend Opleidingen", proof=PDF_BYTES):
    """A pending provider registered through the service, `user` its manager."""
    return services.provider_register(
        user=user,
        data=services.Registration(
            name=name,
            kvk_number=kvk,
            street="Stationsplein",
            house_number="1",
            postcode="1012 AB",
            city="Amsterdam",
            contact_name="Wim Wachter",
            contact_phone="020 123 4567",
            iban=VALID_IBAN,
            terms_accepted=True,
            marks=[
                services.QualityMarkInput(
                    mark=ProviderQualityMark.Mark.CRKBO, proof=proof_file(proof)
                )
            ],
        ),
    )
