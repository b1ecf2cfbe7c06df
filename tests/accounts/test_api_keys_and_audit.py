"""API keys made and revoked in the admin (shown once, stored hashed, scoped per organisation) and
the audit trail of employers, employments and keys, visible to coordinators only."""

import re

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.api_keys import api_key_create
from accounts.models import ApiKey, Employment
from tests import factories
from tests.support.auth import reauthenticate

pytestmark = pytest.mark.django_db


def test_employer_staff_create_a_key_for_their_employer_and_see_it_once(client, hanna, acme):
    client.force_login(hanna)
    reauthenticate(client)
    response = client.post(
        reverse("admin:accounts_apikey_add"),
        {"name": "Salarissysteem", "employer": acme.pk},
        follow=True,
    )
    assert response.status_code == 200
    shown = re.search(r"lp_[0-9a-f]{12}\.[\w-]+", response.content.decode())
    assert shown, "the key is shown right after creation"
    key = ApiKey.objects.get(employer=acme)
    assert shown.group(0).split(".", 1)[1] not in key.key_hash
    page = client.get(reverse("admin:accounts_apikey_change", args=[key.pk])).content.decode()
    assert shown.group(0) not in page  # never again


def test_employer_staff_cannot_make_or_see_keys_of_another_employer(client, hanna, bouw, carla):
    other, _ = api_key_create(name="Bouw salaris", employer=bouw, by=carla)
    client.force_login(hanna)
    reauthenticate(client)
    listing = client.get(reverse("admin:accounts_apikey_changelist")).content.decode()
    assert "Bouw salaris" not in listing
    assert client.get(reverse("admin:accounts_apikey_change", args=[other.pk])).status_code in (
        302,
        404,
    )
    response = client.post(
        reverse("admin:accounts_apikey_add"), {"name": "Stiekem", "employer": bouw.pk}
    )
    assert response.status_code == 200  # the form refuses another employer as an invalid choice
    assert not ApiKey.objects.filter(name="Stiekem").exists()


def test_a_revoked_key_stops_working_at_once(client, hanna, acme, carla):
    key, text = api_key_create(name="Salaris", employer=acme, by=carla)
    client.force_login(hanna)
    client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = client.get("/api/v1/employer/employments/", HTTP_AUTHORIZATION=f"Api-Key {text}")
    assert response.status_code == 401


def test_changes_to_employments_are_in_the_audit_trail_with_who_made_them(client, carla, alice):
    employment = Employment.objects.get(worker=alice)
    client.force_login(carla)
    event_model = apps.get_model("accounts", "EmploymentEvent")
    before = event_model.objects.count()
    employment.employee_number = "777"
    employment.save()
    assert event_model.objects.count() == before + 1
    listing = client.get(reverse("admin:accounts_employmentevent_changelist"))
    assert listing.status_code == 200


@pytest.mark.parametrize("persona", ["hanna", "alice", "olaf"])
def test_only_coordinators_open_the_audit_trail(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for model in ["employerevent", "employmentevent", "apikeyevent"]:
        response = client.get(reverse(f"admin:accounts_{model}_changelist"))
        assert response.status_code in (302, 403)


def test_course_and_provider_changes_are_audited_for_coordinators(client, carla, olaf):
    from leerrekening.models import Course

    course = factories.CourseFactory(title="Lassen basis")
    course.price = "199.00"
    course.save()
    events = apps.get_model("leerrekening", "CourseEvent").objects.filter(pgh_obj=course)
    assert events.count() == 2  # created, then the price change
    assert str(events.order_by("pgh_id").last().price) == "199.00"
    client.force_login(carla)
    assert client.get(reverse("admin:leerrekening_courseevent_changelist")).status_code == 200
    client.force_login(olaf)
    assert client.get(reverse("admin:leerrekening_courseevent_changelist")).status_code in (
        302,
        403,
    )
    assert Course.objects.filter(pk=course.pk).exists()


def test_scheme_changes_are_audited(client, carla, acme):
    from tests.support.deposits import make_scheme

    scheme = make_scheme(factories.FunderFactory(employer=acme), acme)
    scheme.amount = "750.00"
    scheme.save()
    events = apps.get_model("leerrekening", "DepositSchemeEvent").objects.filter(pgh_obj=scheme)
    assert [str(e.amount) for e in events.order_by("pgh_id")] == ["500.00", "750.00"]
    client.force_login(carla)
    assert (
        client.get(reverse("admin:leerrekening_depositschemeevent_changelist")).status_code == 200
    )
