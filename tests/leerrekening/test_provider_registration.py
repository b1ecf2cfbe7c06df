"""A provider registers itself (/opleider/aanmelden/) and stays pending; bad input changes nothing;
proof files reach only coordinators and the provider's own staff."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from leerrekening.models import Provider, ProviderMembership, ProviderQualityMark
from leerrekening.providers import selectors, validation
from tests import factories
from tests.support.auth import reauthenticate
from tests.support.providers import (
    EXE_BYTES,
    HTML_BYTES,
    PNG_BYTES,
    VALID_IBAN,
    proof_file,
    registration_data,
)

pytestmark = pytest.mark.django_db

URL = "/opleider/aanmelden/"


def register(client, **overrides):
    return client.post(URL, registration_data(**overrides))


def main_of(response) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def assert_nothing_registered(response, message):
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Provider.objects.filter(kvk_number="12345678").exists()
    assert not ProviderQualityMark.objects.exists()
    assert not factories.User.objects.filter(email="petra@leerhuis.example").exists()


def test_the_url_is_as_agreed():
    assert reverse("leerrekening:provider-register") == URL


def test_the_form_is_shown_to_anyone(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "KvK-nummer" in response.content.decode()


def test_a_new_provider_registers_with_a_new_account_and_stays_pending(client, settings):
    response = register(client)
    assert response.status_code == 200
    assert "Bedankt voor je aanmelding" in response.content.decode()

    provider = Provider.objects.get(kvk_number="12345678")
    assert provider.approved_at is None
    assert not Provider.objects.approved().filter(pk=provider.pk).exists()
    assert (provider.postcode, provider.city) == ("3511 AB", "Utrecht")
    assert (provider.iban, provider.bic) == (VALID_IBAN, "ABNANL2A")
    assert provider.terms_accepted_at is not None
    assert provider.payouts_paused_until is None
    membership = ProviderMembership.objects.get(provider=provider)
    assert membership.role == ProviderMembership.Role.MANAGER
    assert membership.user.email == "petra@leerhuis.example"
    assert not membership.user.is_worker
    assert membership.user.check_password("een-lang-Wachtwoord-42")

    mark = provider.quality_marks.get()
    assert mark.mark == ProviderQualityMark.Mark.NRTO
    assert mark.proof_content_type == "application/pdf"
    # Stored outside the web root under a name of ours, not the uploader's.
    assert mark.proof.path.startswith(settings.PRIVATE_MEDIA_ROOT)
    assert not mark.proof.path.startswith(str(settings.MEDIA_ROOT))
    assert "keurmerk" not in mark.proof.name
    assert mark.proof.name.endswith(".pdf")
    assert mark.proof_name == "keurmerk.pdf"


def test_a_signed_in_user_registers_and_becomes_the_manager(client, alice):
    client.force_login(alice)
    data = registration_data()
    data = {k: v for k, v in data.items() if not k.startswith("account-")}
    response = client.post(URL, data)
    assert response.status_code == 302
    provider = Provider.objects.get(kvk_number="12345678")
    assert provider.memberships.get().user == alice
    assert provider.memberships.get().role == ProviderMembership.Role.MANAGER


def test_a_recognised_institution_needs_its_brin_code(client):
    response = register(
        client, mark_nrto=None, proof_nrto=None, mark_mbo_hbo="on", proof_mbo_hbo=proof_file()
    )
    assert_nothing_registered(response, "BRIN-code heeft 2 cijfers")
    response = register(
        client,
        mark_nrto=None,
        proof_nrto=None,
        mark_mbo_hbo="on",
        proof_mbo_hbo=proof_file(PNG_BYTES, "brin.png", "image/png"),
        brin="25lx",
    )
    assert response.status_code == 200
    mark = Provider.objects.get(kvk_number="12345678").quality_marks.get()
    assert (mark.mark, mark.brin, mark.proof_content_type) == ("mbo_hbo", "25LX", "image/png")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kvk_number", "1234567", "Een KvK-nummer heeft 8 cijfers"),
        ("kvk_number", "1234567a", "Een KvK-nummer heeft 8 cijfers"),
        ("postcode", "0123 AB", "Vul een Nederlandse postcode in"),
        ("postcode", "1234 SS", "Vul een Nederlandse postcode in"),
        ("postcode", "12345", "Vul een Nederlandse postcode in"),
        ("iban", "NL91ABNA0417164301", "De controlecijfers van dit IBAN kloppen niet"),
        ("iban", "NL91ABNA041716430", "Dit IBAN is te kort of te lang"),
        ("iban", "ZZ91ABNA0417164300", "Dit IBAN begint niet met een bekende landcode"),
        ("iban", "NL53QQQQ0417164300", "De bank van dit IBAN kennen we niet"),
        ("contact_phone", "12", "Vul een telefoonnummer in"),
        ("terms", None, "Je moet akkoord gaan met de voorwaarden"),
    ],
)
def test_bad_input_gets_its_own_message_and_changes_nothing(client, field, value, message):
    response = register(client, **{field: value})
    assert_nothing_registered(response, message)


def test_without_a_quality_mark_nothing_is_registered(client):
    response = register(client, mark_nrto=None, proof_nrto=None)
    assert_nothing_registered(response, "Kies minstens één keurmerk")


def test_a_mark_without_proof_is_refused(client):
    response = register(client, proof_nrto=None)
    assert_nothing_registered(response, "Stuur bij elk keurmerk een bewijs mee")


def test_an_already_registered_kvk_number_is_refused_and_reveals_nothing(client, provider):
    response = register(client, kvk_number=provider.kvk_number, name="Namaak B.V.")
    page = response.content.decode()
    assert "Dit KvK-nummer is al aangemeld" in page
    assert provider.name not in page
    assert Provider.objects.filter(kvk_number=provider.kvk_number).get() == provider
    assert not Provider.objects.filter(name="Namaak B.V.").exists()
    assert not factories.User.objects.filter(email="petra@leerhuis.example").exists()


def test_an_oversized_upload_is_refused(client):
    big = b"%PDF-1.4\n" + b"0" * (validation.MAX_PROOF_BYTES + 1)
    response = register(client, proof_nrto=proof_file(big))
    assert_nothing_registered(response, "groter dan 5 MB")


@pytest.mark.parametrize(
    "content", [EXE_BYTES, HTML_BYTES], ids=["exe renamed pdf", "html renamed pdf"]
)
def test_a_disguised_upload_is_refused_by_its_content(client, content):
    response = register(client, proof_nrto=proof_file(content, "certificaat.pdf"))
    assert_nothing_registered(response, "Stuur het bewijs als PDF, PNG of JPEG")


def test_an_existing_address_makes_no_account_and_the_page_does_not_tell(
    client, olaf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        existing = register(client, **{"account-email": olaf.email})
    assert not Provider.objects.filter(kvk_number="12345678").exists()
    assert factories.User.objects.filter(email=olaf.email).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        new = register(client, **{"account-email": "nieuw@leerhuis.example"})
    # The same page either way: no one learns from it whether an address has an account.
    assert main_of(existing) == main_of(new)
    assert [m.to for m in mail.outbox] == [[olaf.email], ["nieuw@leerhuis.example"]]
    assert "Log dan eerst in" in mail.outbox[0].body
    assert "is binnen" in mail.outbox[1].body


# --- Proof files ----------------------------------------------------------------------------------


def proof_url(provider):
    return reverse("leerrekening:provider-proof", args=[provider.quality_marks.get().pk])


def test_the_providers_own_manager_downloads_the_proof_as_an_attachment(
    client, wim, registered_provider
):
    client.force_login(wim)
    response = client.get(proof_url(registered_provider))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_coordinator_downloads_any_proof(client, carla, registered_provider):
    client.force_login(carla)
    assert client.get(proof_url(registered_provider)).status_code == 200


def test_another_providers_staff_cannot_download_the_proof(client, olaf, registered_provider):
    client.force_login(olaf)
    assert client.get(proof_url(registered_provider)).status_code == 404


@pytest.mark.parametrize(
    "persona", ["alice", "hanna", "amir"], ids=["worker", "employer", "ambassador"]
)
def test_a_worker_employer_or_ambassador_cannot_download_the_proof(
    client, request, persona, registered_provider
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(proof_url(registered_provider))
    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_another_providers_staff_cannot_see_our_details_or_iban(client, olaf, registered_provider):
    client.force_login(olaf)
    reauthenticate(client)
    response = client.get(f"/opleider/gegevens/?opleider={registered_provider.pk}")
    assert response.status_code == 404
    page = client.get("/opleider/gegevens/").content.decode()
    assert registered_provider.name not in page
    assert "NL91 ABNA" not in page  # olaf's own provider has no IBAN; the pending one has


def test_anonymous_visitors_cannot_download_the_proof(client, registered_provider):
    response = client.get(proof_url(registered_provider))
    assert response.status_code == 302
    assert response["Location"].startswith("/inloggen/")


def test_a_registered_provider_is_not_bookable(registered_provider):
    assert not Provider.objects.approved().filter(pk=registered_provider.pk).exists()
    assert selectors.payouts_allowed(registered_provider)  # its IBAN is fine; approval is not


def test_the_demo_has_a_provider_awaiting_approval_with_proof_and_one_with_an_iban(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo")
    pending = Provider.objects.get(kvk_number="55667788")
    assert pending.approved_at is None
    mark = pending.quality_marks.get()
    assert mark.proof.open("rb").read(5) == b"%PDF-"
    assert pending.memberships.get().role == ProviderMembership.Role.MANAGER
    approved = Provider.objects.get(kvk_number="11223344")
    assert approved.is_approved
    assert approved.iban == VALID_IBAN
    assert selectors.payouts_allowed(approved)


def test_registrations_are_capped_per_address(client, settings):
    settings.PROVIDER_REGISTRATIONS_PER_HOUR = 2
    for kvk in ("1", "2"):
        assert register(client, kvk_number=kvk).status_code == 200
    response = register(client)
    assert response.status_code == 429
    assert "al veel aanmeldingen" in response.content.decode()
    assert not Provider.objects.exists()


def test_a_request_bigger_than_every_proof_together_is_refused_unread(client):
    response = client.post(
        URL,
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(40 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert not Provider.objects.exists()


def test_the_manager_sees_the_details_with_the_iban_masked_and_the_proof(
    client, wim, registered_provider
):
    client.force_login(wim)
    page = client.get("/opleider/gegevens/").content.decode()
    assert "NL91 ABNA … 4300" in page
    assert "0417164300" not in page
    assert proof_url(registered_provider) in page
    assert "IBAN wijzigen" in page


def test_a_registered_provider_can_be_approved_by_a_coordinator(carla, wim, registered_provider):
    from leerrekening.catalogue import services as catalogue_services

    catalogue_services.provider_approve(provider=registered_provider, by=carla)
    registered_provider.refresh_from_db()
    assert registered_provider.is_approved
    with pytest.raises(catalogue_services.ApprovalError):
        catalogue_services.provider_approve(provider=registered_provider, by=wim)


@pytest.mark.parametrize(
    ("typed", "iban", "bic"),
    [
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300", "ABNANL2A"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "COBADEFFXXX"),
    ],
)
def test_an_iban_is_stored_compact_with_the_bic_of_its_bank(typed, iban, bic):
    assert validation.iban_clean(typed) == validation.BankAccount(iban=iban, bic=bic)


@pytest.mark.parametrize(("typed", "clean"), [("1234ab", "1234 AB"), (" 9712 ca ", "9712 CA")])
def test_a_postcode_is_stored_as_the_post_writes_it(typed, clean):
    assert validation.postcode_clean(typed) == clean
