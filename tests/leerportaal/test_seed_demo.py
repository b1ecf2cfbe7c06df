import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from accounts.models import Employer, EmployerMembership, Employment, Sector, User
from ambassadeurs.models import (
    Ambassadorship,
    Conversation,
    ConversationRequest,
    ConversationTopic,
)
from leerrekening.demo import PENDING_COURSE
from leerrekening.models import (
    Course,
    DepositBatch,
    DepositBatchLine,
    DepositScheme,
    Funder,
    Provider,
    ProviderMembership,
    Tranche,
)
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db

MODELS = [
    Sector,
    Employer,
    User,
    EmployerMembership,
    Employment,
    Provider,
    ProviderMembership,
    Course,
    Ambassadorship,
    ConversationRequest,
    Conversation,
    ConversationTopic,
    Funder,
    DepositScheme,
    DepositBatch,
    DepositBatchLine,
    Tranche,
]
VOLATILE = {"password", "last_login", "date_joined", "created_at", "approved_at"}


def snapshot():
    return {
        model.__name__: sorted(
            (
                {k: v for k, v in model_to_dict(obj).items() if k not in VOLATILE and k != "staff"}
                for obj in model.objects.all()
            ),
            key=lambda row: row["id"],
        )
        for model in MODELS
    }


def test_seed_demo_twice_gives_the_same_data(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert len(first["Employer"]) == 2
    emails = {row["email"] for row in first["User"]}
    for persona in ["werkende", "werkgever", "ambassadeur", "opleider", "beheer"]:
        assert f"{persona}@demo.leerportaal.nl" in emails
    pending = [row for row in first["Course"] if row["title"] == PENDING_COURSE["title"]]
    assert len(pending) == 1  # in the approval queue
    assert not pending[0]["approved_by"]
    assert all(row["approved_by"] for row in first["Course"] if row not in pending)
    werkende = User.objects.get(email="werkende@demo.leerportaal.nl")
    tranches = Tranche.objects.filter(account__worker=werkende)
    assert sum(t.amount for t in tranches) == Decimal("1500.00")
    assert tranches.values("funder").distinct().count() == 2
    assert tranches.filter(
        ends_on__lte=datetime.date.today() + datetime.timedelta(days=90)
    ).exists()
    assert_invariants_hold()


def test_seed_demo_logins_have_a_verified_address_and_staff_a_second_factor(settings):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    settings.DEBUG = True
    call_command("seed_demo")
    for persona in ["werkende", "werkgever", "ambassadeur", "opleider", "beheer"]:
        user = User.objects.get(email=f"{persona}@demo.leerportaal.nl")
        assert EmailAddress.objects.filter(
            user=user, email=user.email, primary=True, verified=True
        ).exists()
    for persona in ["werkgever", "opleider", "beheer"]:
        assert Authenticator.objects.filter(
            user__email=f"{persona}@demo.leerportaal.nl", type=Authenticator.Type.TOTP
        ).exists()


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=False"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_runs_without_debug_when_forced(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert User.objects.filter(email="beheer@demo.leerportaal.nl", is_coordinator=True).exists()
