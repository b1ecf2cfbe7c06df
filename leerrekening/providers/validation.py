"""Checks of what a provider types and uploads, each refusal a DomainError with its own code.

Forms call these for their field messages and the services call them again, so a write never
depends on the form having run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from leerportaal.errors import DomainError

MAX_PROOF_BYTES = 5 * 1024 * 1024

# What a proof file may be, told by its first bytes (never by its name or the browser's type).
PROOF_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


class ProviderInputError(DomainError):
    code = "provider_input_invalid"
    status = 422
    default_message = _("Deze gegevens kloppen niet.")


class KvkInvalid(ProviderInputError):
    code = "kvk_invalid"
    default_message = _("Een KvK-nummer heeft 8 cijfers, bijvoorbeeld 12345678.")


class KvkTaken(ProviderInputError):
    code = "kvk_taken"
    status = 409
    default_message = _(
        "Dit KvK-nummer is al aangemeld. Denk je dat dit niet klopt? Neem dan contact op met "
        "de helpdesk."
    )


class PostcodeInvalid(ProviderInputError):
    code = "postcode_invalid"
    default_message = _("Vul een Nederlandse postcode in: 4 cijfers en 2 letters, zoals 1234 AB.")


class PhoneInvalid(ProviderInputError):
    code = "phone_invalid"
    default_message = _("Vul een telefoonnummer in met 10 tot 15 cijfers, zoals 020 123 4567.")


class IbanInvalid(ProviderInputError):
    code = "iban_invalid"
    default_message = _("Dit IBAN klopt niet. Controleer het nummer op je bankpas of afschrift.")


class IbanCountryUnknown(IbanInvalid):
    code = "iban_country_unknown"
    default_message = _("Dit IBAN begint niet met een bekende landcode, zoals NL.")


class IbanChecksumWrong(IbanInvalid):
    code = "iban_checksum_wrong"
    default_message = _("De controlecijfers van dit IBAN kloppen niet. Is er een tikfout?")


class IbanLengthWrong(IbanInvalid):
    code = "iban_length_wrong"
    default_message = _("Dit IBAN is te kort of te lang voor het land.")


class IbanBankUnknown(IbanInvalid):
    code = "iban_bank_unknown"
    default_message = _("De bank van dit IBAN kennen we niet. Controleer de 4 letters na NL.")


class BrinInvalid(ProviderInputError):
    code = "brin_invalid"
    default_message = _("Een BRIN-code heeft 2 cijfers en 2 letters of cijfers, zoals 25LX.")


class ProofInvalid(ProviderInputError):
    code = "proof_invalid"
    default_message = _("Stuur het bewijs als PDF, PNG of JPEG.")


class ProofTooLarge(ProofInvalid):
    code = "proof_too_large"
    default_message = _("Dit bestand is groter dan 5 MB. Stuur een kleiner bestand.")


class ProofMissing(ProofInvalid):
    code = "proof_missing"
    default_message = _("Stuur bij elk keurmerk een bewijs mee.")


def kvk_clean(value: str) -> str:
    kvk = re.sub(r"[\s.]", "", value or "")
    if not re.fullmatch(r"[0-9]{8}", kvk):
        raise KvkInvalid
    return kvk


def postcode_clean(value: str) -> str:
    """'1234ab' -> '1234 AB'. Dutch postcodes never start with 0 and never use SA, SD or SS."""
    postcode = re.sub(r"\s", "", value or "").upper()
    match = re.fullmatch(r"([1-9][0-9]{3})([A-Z]{2})", postcode)
    if not match or match.group(2) in {"SA", "SD", "SS"}:
        raise PostcodeInvalid
    return f"{match.group(1)} {match.group(2)}"


def phone_clean(value: str) -> str:
    phone = (value or "").strip()
    digits = re.sub(r"\D", "", phone)
    if not re.fullmatch(r"\+?[0-9 ()\-]+", phone) or not 10 <= len(digits) <= 15:
        raise PhoneInvalid
    return phone


def brin_clean(value: str) -> str:
    brin = (value or "").strip().upper()
    if not re.fullmatch(r"[0-9]{2}[A-Z0-9]{2}", brin):
        raise BrinInvalid
    return brin


@dataclass(frozen=True)
class BankAccount:
    iban: str  # compact, upper case
    bic: str  # "" where the bank is not known


def iban_clean(value: str) -> BankAccount:
    """Country, check digits and length by schwifty; a Dutch IBAN must name a known bank. The BIC
    is derived where schwifty knows the bank."""
    try:
        iban = IBAN(value or "")
    except InvalidCountryCode:
        raise IbanCountryUnknown from None
    except InvalidChecksumDigits:
        raise IbanChecksumWrong from None
    except InvalidLength:
        raise IbanLengthWrong from None
    except (SchwiftyException, ValueError):
        raise IbanInvalid from None
    bic = iban.bic
    if bic is None and iban.country_code == "NL":
        raise IbanBankUnknown
    return BankAccount(iban=iban.compact, bic=str(bic or ""))


def proof_content_type(upload) -> tuple[str, str]:
    """(content type, extension) of an uploaded proof file, from its content. Raises ProofTooLarge
    or ProofInvalid (an .exe or HTML page renamed .pdf is refused: its first bytes tell)."""
    if upload is None:
        raise ProofMissing
    if upload.size > MAX_PROOF_BYTES:
        raise ProofTooLarge
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type, extension in PROOF_SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    raise ProofInvalid
