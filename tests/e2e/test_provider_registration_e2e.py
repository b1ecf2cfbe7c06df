"""A provider registers on a phone: the form and its answers are readable at 360 px and have no
serious axe violations; a bad IBAN is named on its field; the registration waits for approval."""

from __future__ import annotations

import pytest

from leerrekening.models import Provider
from tests.support.providers import PDF_BYTES

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

URL = "/opleider/aanmelden/"


def fill(page, *, iban: str) -> None:
    values = {
        "name": "Leerhuis Utrecht B.V.",
        "kvk_number": "12345678",
        "street": "Oudegracht",
        "house_number": "12a",
        "postcode": "3511 AB",
        "city": "Utrecht",
        "contact_name": "Petra de Vries",
        "contact_phone": "030 123 4567",
        "iban": iban,
        "account-full_name": "Petra de Vries",
        "account-email": "petra@leerhuis.example",
        "account-password": "een-lang-Wachtwoord-42",
    }
    for name, value in values.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.locator('[name="mark_nrto"]').check()
    page.locator('[name="proof_nrto"]').set_input_files(
        {"name": "keurmerk.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.locator('[name="terms"]').check()


def test_a_provider_registers_on_a_phone_and_waits_for_approval(
    live_server, phone_page, axe_check, assert_fits_the_screen
):
    page = phone_page()
    page.goto(f"{live_server.url}{URL}")
    axe_check(page)
    assert_fits_the_screen(page)

    fill(page, iban="NL91 ABNA 0417 1643 01")  # one digit off: the check digits fail
    page.locator('form [type="submit"]').last.click()
    page.wait_for_load_state()
    assert page.locator('[name="iban"][aria-invalid="true"]').count() == 1
    axe_check(page)
    assert not Provider.objects.filter(kvk_number="12345678").exists()

    fill(page, iban="NL91 ABNA 0417 1643 00")
    page.locator('form [type="submit"]').last.click()
    page.wait_for_load_state()
    axe_check(page)
    assert_fits_the_screen(page)
    provider = Provider.objects.get(kvk_number="12345678")
    assert provider.approved_at is None
    assert provider.iban == "NL91ABNA0417164300"
