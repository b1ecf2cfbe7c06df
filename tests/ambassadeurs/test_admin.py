"""The admin holds only who is an ambassador where, and only coordinators manage it."""

from __future__ import annotations

import pytest

from ambassadeurs.models import Ambassadorship

pytestmark = pytest.mark.django_db


def test_a_coordinator_assigns_an_ambassador_to_an_employer(client, carla, amir, acme):
    client.force_login(carla)
    assert client.get("/admin/ambassadeurs/ambassadorship/add/").status_code == 200
    response = client.post(
        "/admin/ambassadeurs/ambassadorship/add/", {"ambassador": amir.pk, "employer": acme.pk}
    )
    assert response.status_code == 302
    assert Ambassadorship.objects.filter(ambassador=amir, employer=acme).exists()


def test_an_assignment_is_to_an_employer_or_a_sector_not_both(amir, acme):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Ambassadorship.objects.create(ambassador=amir, employer=acme, sector=acme.sector)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ambassadorship.objects.create(ambassador=amir)


def test_employer_staff_cannot_see_or_change_assignments(client, hanna, amir_at_acme):
    client.force_login(hanna)
    for url in [
        "/admin/ambassadeurs/ambassadorship/",
        f"/admin/ambassadeurs/ambassadorship/{amir_at_acme.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert "Amir Ambassadeur" not in response.content.decode()
