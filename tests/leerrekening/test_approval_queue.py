"""The coordinators' approval queue: approve or reject providers and courses, with a reason that is
e-mailed, every decision in the audit trail; nobody else decides, and no provider about itself."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from leerrekening.catalogue import services
from leerrekening.models import Course, Provider
from leerrekening.selectors_dashboard import coordinator_dashboard
from tests import factories
from tests.support.auth import with_second_factor

pytestmark = pytest.mark.django_db

QUEUE = "leerrekening:coordinator-catalogue"


def decide(client, name: str, obj, reason: str | None = None):
    data = {} if reason is None else {"reason": reason}
    return client.post(reverse(f"leerrekening:{name}", args=[obj.pk]), data, follow=True)


def last_event(obj):
    model = apps.get_model("leerrekening", f"{type(obj).__name__}Event")
    return model.objects.filter(pgh_obj=obj).order_by("pgh_id").last()


def state(*objs) -> list[tuple]:
    return [
        type(o).objects.values_list("approved_at", "rejected_at", "rejection_reason").get(pk=o.pk)
        for o in objs
    ]


def test_the_queue_lists_what_waits_with_the_proof_hook(
    client, carla, pending_provider, pending_course
):
    client.force_login(carla)
    page = client.get(reverse(QUEUE)).content.decode()
    assert "Nieuwe Academie" in page
    assert "Nieuw: lassen voor gevorderden" in page
    assert "petra@example.nl" in page  # whom the decision will be e-mailed to
    assert f"KvK {pending_provider.kvk_number}" in page
    assert reverse("leerrekening:coordinator-provider-reject", args=[pending_provider.pk]) in page
    assert reverse("leerrekening:coordinator-course-reject", args=[pending_course.pk]) in page


def test_the_queue_links_each_proof_of_a_registered_provider_for_the_coordinator(
    client, carla, registered_provider
):
    client.force_login(carla)
    page = client.get(reverse(QUEUE)).content.decode()
    mark = registered_provider.quality_marks.get()
    proof = reverse("leerrekening:provider-proof", args=[mark.pk])
    assert proof in page
    assert registered_provider.iban in page
    response = client.get(proof)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_approving_a_provider_mails_its_staff_and_is_audited(
    client, carla, pending_provider, committed
):
    client.force_login(carla)
    url = reverse("leerrekening:coordinator-provider-approve", args=[pending_provider.pk])
    with committed():
        response = client.post(url, follow=True)
    assert "Nieuwe Academie is goedgekeurd." in response.content.decode()
    pending_provider.refresh_from_db()
    assert pending_provider.approved_by == carla
    assert [m.to for m in mail.outbox] == [["petra@example.nl"]]
    assert "Nieuwe Academie is goedgekeurd" in mail.outbox[0].subject
    event = last_event(pending_provider)
    assert event.approved_at is not None
    assert event.pgh_context.metadata == {"user": carla.pk, "url": url}


def test_rejecting_a_provider_needs_a_reason_that_is_mailed_and_audited(
    client, carla, pending_provider, committed
):
    client.force_login(carla)
    reason = "Het CRKBO-register kent dit KvK-nummer niet."
    with committed():
        response = decide(client, "coordinator-provider-reject", pending_provider, reason)
    assert "Nieuwe Academie is afgewezen." in response.content.decode()
    pending_provider.refresh_from_db()
    assert pending_provider.rejected_by == carla
    assert pending_provider.rejection_reason == reason
    assert pending_provider.approved_at is None
    assert not pending_provider.is_pending
    (message,) = mail.outbox
    assert message.to == ["petra@example.nl"]
    assert "afgewezen" in message.subject
    assert reason in message.body
    event = last_event(pending_provider)
    assert event.rejection_reason == reason
    assert event.pgh_context.metadata["user"] == carla.pk
    # Out of the queue and off the start page's count.
    assert pending_provider not in Provider.objects.pending()
    assert coordinator_dashboard().providers_pending == 0
    assert "Nieuwe Academie" not in client.get(reverse(QUEUE)).content.decode()


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_rejecting_without_a_reason_is_refused_and_changes_nothing(
    client, carla, pending_provider, pending_course, committed, reason
):
    client.force_login(carla)
    before = state(pending_provider, pending_course)
    with committed():
        for name, obj in [
            ("coordinator-provider-reject", pending_provider),
            ("coordinator-course-reject", pending_course),
        ]:
            response = decide(client, name, obj, reason)
            assert "Geef een reden" in response.content.decode()
    assert state(pending_provider, pending_course) == before
    assert mail.outbox == []
    with pytest.raises(services.ReasonRequired) as refused:
        services.course_reject(course=pending_course, by=carla, reason=reason)
    assert refused.value.code == "approval_reason_required"
    assert refused.value.status == 422


def test_rejecting_a_course_mails_the_providers_staff(
    client, carla, olaf, pending_course, committed
):
    client.force_login(carla)
    with committed():
        decide(client, "coordinator-course-reject", pending_course, "Geen verband met werk.")
    pending_course.refresh_from_db()
    assert pending_course.rejected_at is not None
    assert pending_course not in Course.objects.pending()
    (message,) = mail.outbox
    assert message.to == [olaf.email]
    assert "Geen verband met werk." in message.body
    assert last_event(pending_course).rejection_reason == "Geen verband met werk."


def test_approving_a_course_mails_the_providers_staff(
    client, carla, olaf, pending_course, committed
):
    client.force_login(carla)
    with committed():
        decide(client, "coordinator-course-approve", pending_course)
    pending_course.refresh_from_db()
    assert pending_course.approved_by == carla
    assert [m.to for m in mail.outbox] == [[olaf.email]]


def test_an_approved_row_is_not_rejected_but_withdrawn(carla, course):
    with pytest.raises(services.AlreadyApproved):
        services.course_reject(course=course, by=carla, reason="Toch niet")
    course.refresh_from_db()
    assert course.approved_at is not None


def test_approving_after_a_rejection_clears_the_refusal(carla, pending_provider):
    services.provider_reject(provider=pending_provider, by=carla, reason="KvK onbekend")
    provider = services.provider_approve(provider=pending_provider, by=carla)
    assert provider.approved_at is not None
    assert (provider.rejected_at, provider.rejected_by, provider.rejection_reason) == (
        None,
        None,
        "",
    )


@pytest.mark.parametrize("who", ["alice", "olaf", "hanna", "petra"])
def test_nobody_but_a_coordinator_decides_and_nothing_changes(
    client, request, who, pending_provider, pending_course, course, committed
):
    if who == "petra":
        user = with_second_factor(pending_provider.memberships.get().user)
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    before = state(pending_provider, pending_course, course, course.provider)
    assert client.get(reverse(QUEUE)).status_code in (302, 403, 404)
    with committed():
        for name, obj in [
            ("coordinator-provider-approve", pending_provider),
            ("coordinator-provider-reject", pending_provider),
            ("coordinator-provider-withdraw", course.provider),
            ("coordinator-course-approve", pending_course),
            ("coordinator-course-reject", pending_course),
            ("coordinator-course-withdraw", course),
        ]:
            response = client.post(reverse(f"leerrekening:{name}", args=[obj.pk]), {"reason": "x"})
            assert response.status_code in (302, 403, 404), name
            if response.status_code == 302:
                assert "/beheer/" not in response.url
    for name in ("provider", "course"):
        assert client.get(reverse(f"admin:leerrekening_{name}_changelist")).status_code in (
            302,
            403,
        )
    assert state(pending_provider, pending_course, course, course.provider) == before
    assert mail.outbox == []


def test_a_provider_cannot_approve_itself_through_any_path(client, pending_provider, committed):
    """Even a provider's staff member who is also a coordinator (and admin staff) cannot decide
    about their own provider: not on the page, not in the admin, not through the service."""
    petra = pending_provider.memberships.get().user
    petra.is_coordinator = petra.is_staff = True
    petra.save()
    petra = with_second_factor(petra)
    course = factories.CourseFactory(provider=pending_provider, approved_at=None)
    client.force_login(petra)

    with committed():
        response = decide(client, "coordinator-provider-approve", pending_provider)
        assert "beslist een andere coördinator" in response.content.decode()
        response = client.post(
            reverse("admin:leerrekening_provider_changelist"),
            {"action": "approve", "_selected_action": [pending_provider.pk], "reason": ""},
            follow=True,
        )
    assert "beslist een andere coördinator" in response.content.decode()
    for call in (
        lambda: services.provider_approve(provider=pending_provider, by=petra),
        lambda: services.course_approve(course=course, by=petra),
        lambda: services.provider_reject(provider=pending_provider, by=petra, reason="x"),
    ):
        with pytest.raises(services.OwnProviderDecision) as refused:
            call()
        assert refused.value.code == "approval_own_provider"
    assert state(pending_provider, course) == [(None, None, ""), (None, None, "")]
    assert mail.outbox == []


# --- The admin ------------------------------------------------------------------------------------


def test_coordinators_have_providers_and_courses_in_the_admin_read_only(
    client, carla, pending_provider, course
):
    client.force_login(carla)
    page = client.get(reverse("admin:leerrekening_provider_changelist")).content.decode()
    assert "Nieuwe Academie" in page
    assert client.get(reverse("admin:leerrekening_course_changelist")).status_code == 200
    change = client.get(reverse("admin:leerrekening_course_change", args=[course.pk]))
    assert change.status_code == 200
    assert 'name="approved_at"' not in change.content.decode()  # read only
    assert client.get(reverse("admin:leerrekening_course_add")).status_code == 403
    assert (
        client.get(
            reverse("admin:leerrekening_provider_delete", args=[pending_provider.pk])
        ).status_code
        == 403
    )
    # A post to the change form changes nothing either.
    client.post(reverse("admin:leerrekening_course_change", args=[course.pk]), {"title": "Anders"})
    course.refresh_from_db()
    assert course.title == "Basiscursus lassen"


def test_admin_actions_approve_and_reject_through_the_services(
    client, carla, pending_provider, pending_course, committed
):
    client.force_login(carla)
    url = reverse("admin:leerrekening_course_changelist")
    refused = client.post(
        url,
        {"action": "reject", "_selected_action": [pending_course.pk], "reason": ""},
        follow=True,
    )
    assert "Geef een reden" in refused.content.decode()
    assert state(pending_course) == [(None, None, "")]
    with committed():
        client.post(
            url,
            {"action": "reject", "_selected_action": [pending_course.pk], "reason": "Te vaag"},
        )
        client.post(
            reverse("admin:leerrekening_provider_changelist"),
            {"action": "approve", "_selected_action": [pending_provider.pk], "reason": ""},
        )
    pending_course.refresh_from_db()
    assert pending_course.rejection_reason == "Te vaag"
    pending_provider.refresh_from_db()
    assert pending_provider.approved_by == carla
    assert len(mail.outbox) == 2


def test_employer_staff_see_no_providers_or_courses_in_the_admin(client, hanna, course):
    client.force_login(hanna)
    for url in (
        reverse("admin:leerrekening_provider_changelist"),
        reverse("admin:leerrekening_course_changelist"),
        reverse("admin:leerrekening_course_change", args=[course.pk]),
        reverse("admin:leerrekening_provider_change", args=[course.provider.pk]),
        reverse("admin:leerrekening_approvalwithdrawal_changelist"),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert course.title not in response.content.decode()
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:leerrekening_provider_changelist") not in index
    assert reverse("admin:leerrekening_course_changelist") not in index


def test_the_admin_start_page_links_pending_approvals_to_the_queue(
    client, carla, pending_provider, pending_course
):
    client.force_login(carla)
    page = client.get(reverse("admin:index")).content.decode()
    assert f'{reverse(QUEUE)}#wachtende-opleiders"' in page
    assert f'{reverse(QUEUE)}#wachtende-opleidingen"' in page
    dashboard = coordinator_dashboard()
    assert (dashboard.providers_pending, dashboard.courses_pending) == (1, 1)


def test_the_demo_has_a_course_awaiting_approval(client, carla, settings):
    from django.core.management import call_command

    from leerrekening.demo import seed_pending_course

    settings.DEBUG = True
    call_command("seed_demo")
    course = seed_pending_course()
    assert seed_pending_course() == course  # idempotent
    assert course.is_pending
    client.force_login(carla)
    assert "Heftruckcertificaat (nieuw)" in client.get(reverse(QUEUE)).content.decode()
