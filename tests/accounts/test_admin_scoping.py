"""Employer staff see and change only their own roster in the admin, whatever URL they guess."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Employment, User
from tests import factories

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:accounts_employment_import"
ROSTER = (
    "personeelsnummer;email;naam;begindatum\r\n0900;nieuw@example.nl;Nieuw Persoon;01-01-2026\r\n"
)


def upload(text: str = ROSTER) -> SimpleUploadedFile:
    return SimpleUploadedFile("personeel.csv", text.encode(), content_type="text/csv")


def assert_refused_without_bobs_data(response) -> None:
    # 403 only where Django refuses the action itself (delete, change) for every object alike.
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response.url == reverse("admin:index")
    body = response.content.decode()
    for secret in ("Bob Bakker", "bob@example.nl", "0042", "Bouw BV"):
        assert secret not in body


def test_employer_staff_list_only_their_own_employments(client, hanna, alice, bob):
    client.force_login(hanna)
    response = client.get(reverse("admin:accounts_employment_changelist"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alice Aalbers" in body
    assert "Bob Bakker" not in body
    assert "0042" not in body
    # The employer filter would otherwise name every employer on the platform.
    assert "Bouw BV" not in body


def test_employer_staff_cannot_find_others_by_search(client, hanna, alice, bob):
    client.force_login(hanna)
    response = client.get(reverse("admin:accounts_employment_changelist"), {"q": "bob"})
    assert response.status_code == 200
    assert "Bob Bakker" not in response.content.decode()


def test_employer_staff_cannot_filter_their_way_to_another_employer(client, hanna, bob, bouw):
    client.force_login(hanna)
    response = client.get(
        reverse("admin:accounts_employment_changelist"), {"employer__id__exact": bouw.pk}
    )
    assert "Bob Bakker" not in response.content.decode()


def test_employer_staff_cannot_open_another_employers_employment_by_url(client, hanna, bob):
    job = bob.employments.get()
    client.force_login(hanna)
    for name in ("change", "history", "delete"):
        response = client.get(reverse(f"admin:accounts_employment_{name}", args=[job.pk]))
        assert_refused_without_bobs_data(response)
        # Indistinguishable from an id that does not exist: no oracle for guessing.
        missing = client.get(reverse(f"admin:accounts_employment_{name}", args=[job.pk + 10_000]))
        assert missing.status_code == response.status_code


def test_employer_staff_cannot_change_another_employers_employment(client, hanna, bob):
    job = bob.employments.get()
    client.force_login(hanna)
    response = client.post(
        reverse("admin:accounts_employment_change", args=[job.pk]),
        {"employee_number": "1", "start_date": "2020-01-01", "end_date": "2020-01-02"},
    )
    assert_refused_without_bobs_data(response)
    assert response.status_code in (403, 404)
    job.refresh_from_db()
    assert (job.employee_number, job.end_date) == ("0042", None)


def test_end_employment_action_ignores_smuggled_ids_of_another_employer(client, hanna, alice, bob):
    bobs_job, alices_job = bob.employments.get(), alice.employments.get()
    client.force_login(hanna)
    response = client.post(
        reverse("admin:accounts_employment_changelist"),
        {
            "action": "end_employments",
            "_selected_action": [bobs_job.pk, alices_job.pk],
            "apply": "1",
            "end_date": "2026-03-31",
        },
    )
    assert response.status_code == 302
    bobs_job.refresh_from_db()
    alices_job.refresh_from_db()
    assert bobs_job.end_date is None
    assert alices_job.end_date == datetime.date(2026, 3, 31)


def test_end_employment_action_asks_for_the_date_first(client, hanna, alice):
    job = alice.employments.get()
    client.force_login(hanna)
    response = client.post(
        reverse("admin:accounts_employment_changelist"),
        {"action": "end_employments", "_selected_action": [job.pk]},
    )
    assert response.status_code == 200
    assert "Laatste werkdag" in response.content.decode()
    job.refresh_from_db()
    assert job.end_date is None


def test_employer_staff_cannot_browse_users(client, hanna, bob):
    client.force_login(hanna)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "accounts",
            "model_name": "employment",
            "field_name": "worker",
            "term": "bob",
        },
    )
    assert response.status_code == 403
    assert "Bob" not in response.content.decode()


def test_employer_staff_cannot_add_employments_by_picking_users(client, hanna):
    client.force_login(hanna)
    response = client.get(reverse("admin:accounts_employment_add"))
    assert response.status_code == 403


def test_employer_staff_import_into_their_own_employer(client, hanna, acme):
    client.force_login(hanna)
    page = client.get(reverse(IMPORT_URL))
    assert page.status_code == 200
    assert "Bouw BV" not in page.content.decode()
    response = client.post(reverse(IMPORT_URL), {"employer": acme.pk, "file": upload()})
    assert response.status_code == 302
    assert Employment.objects.filter(employer=acme, worker__email="nieuw@example.nl").exists()


def test_employer_staff_cannot_import_into_another_employer(client, hanna, bouw):
    client.force_login(hanna)
    response = client.post(reverse(IMPORT_URL), {"employer": bouw.pk, "file": upload()})
    assert response.status_code == 200  # the form again, with "not a valid choice"
    assert not Employment.objects.filter(employer=bouw).exists()
    assert not User.objects.filter(email="nieuw@example.nl").exists()


def test_staff_of_two_employers_pick_one_of_theirs(client, hanna, acme, bouw):
    other = factories.EmployerFactory(name="Citroen Logistiek")
    factories.EmployerMembershipFactory(user=hanna, employer=other)
    client.force_login(hanna)
    body = client.get(reverse(IMPORT_URL)).content.decode()
    assert "Acme Supermarkten" in body
    assert "Citroen Logistiek" in body
    assert "Bouw BV" not in body
    response = client.post(reverse(IMPORT_URL), {"employer": other.pk, "file": upload()})
    assert response.status_code == 302
    assert Employment.objects.filter(employer=other).count() == 1


def test_import_page_lists_every_bad_line_and_applies_nothing(client, hanna, acme):
    client.force_login(hanna)
    text = (
        "personeelsnummer;email;naam;begindatum\r\n"
        "1;een@example.nl;Een;01-01-2026\r\n"
        "2;fout;Twee;01-01-2026\r\n"
        "3;drie@example.nl;Drie;gisteren\r\n"
    )
    response = client.post(reverse(IMPORT_URL), {"employer": acme.pk, "file": upload(text)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Er zijn 2 fouten gevonden" in body
    assert "geen geldig e-mailadres" in body
    assert "gisteren" in body
    assert not Employment.objects.filter(employer=acme).exists()


def test_worker_without_admin_access_cannot_import(client, alice, acme):
    client.force_login(alice)
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_coordinator_sees_and_imports_for_every_employer(client, carla, alice, bob, bouw):
    client.force_login(carla)
    body = client.get(reverse("admin:accounts_employment_changelist")).content.decode()
    assert "Alice Aalbers" in body
    assert "Bob Bakker" in body
    job = bob.employments.get()
    assert client.get(reverse("admin:accounts_employment_change", args=[job.pk])).status_code == 200
    response = client.post(reverse(IMPORT_URL), {"employer": bouw.pk, "file": upload()})
    assert response.status_code == 302
    assert Employment.objects.filter(employer=bouw, worker__email="nieuw@example.nl").exists()
