"""Ledger accounts: the system accounts (external, the reservation shards) and the accounts of a
worker, funder or provider, each opened at zero on first use (safe when two requests open the
same account at once: bulk_create with ignore_conflicts)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from leerrekening.models import Funder, LedgerAccount, Provider

Kind = LedgerAccount.Kind


def _opened(account_kind: str, **lookup) -> LedgerAccount:
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is None:
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(**{"kind": account_kind, **lookup})], ignore_conflicts=True
        )
        account = LedgerAccount.objects.get(**lookup)
    return account


def _system_account(kind: str, shard: int = 0) -> LedgerAccount:
    return _opened(kind, kind=kind, shard=shard)


def external_account() -> LedgerAccount:
    return _system_account(Kind.EXTERNAL)


def reservation_shards() -> int:
    return settings.LEDGER_RESERVATION_SHARDS


def reservations_account(*, shard: int = 0) -> LedgerAccount:
    """One shard of the reservations (escrow) account."""
    return _system_account(Kind.RESERVATIONS, shard)


def reservations_account_for(*, account: LedgerAccount) -> LedgerAccount:
    """The escrow shard that holds this learning account's reservations (always the same)."""
    return reservations_account(shard=account.pk % reservation_shards())


def reserved_total() -> Decimal:
    """What all reservation shards hold together: the sum of every open reservation."""
    return LedgerAccount.objects.filter(kind=Kind.RESERVATIONS).aggregate(
        total=Coalesce(Sum("balance"), Decimal("0"))
    )["total"]


def account_for_worker(*, worker: User) -> LedgerAccount:
    """The worker's learning account; it belongs to the person, not to any employment."""
    return _opened(Kind.WORKER, worker=worker)


def account_for_funder(*, funder: Funder) -> LedgerAccount:
    return _opened(Kind.FUNDER, funder=funder)


def account_for_provider(*, provider: Provider) -> LedgerAccount:
    return _opened(Kind.PROVIDER, provider=provider)


def accounts_for_workers(*, worker_ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Learning accounts for many workers at once (opened where missing), by worker id."""
    worker_ids = sorted(set(worker_ids))
    with connection.cursor() as cursor:
        # Most workers have an account already: insert only the missing ones (cheaper than
        # letting ON CONFLICT find every existing one), and ON CONFLICT for a concurrent opener.
        cursor.execute(
            "INSERT INTO leerrekening_ledgeraccount (kind, worker_id, shard, balance, created_at)"
            " SELECT 'worker', w, 0, 0, now() FROM unnest(%s::bigint[]) AS w"
            " WHERE NOT EXISTS (SELECT 1 FROM leerrekening_ledgeraccount a WHERE a.worker_id = w)"
            " ON CONFLICT DO NOTHING",
            [worker_ids],
        )
        cursor.execute(
            "SELECT worker_id, id FROM leerrekening_ledgeraccount WHERE worker_id = ANY(%s)",
            [worker_ids],
        )
        return {
            worker_id: LedgerAccount(pk=account_id, kind=Kind.WORKER, worker_id=worker_id)
            for worker_id, account_id in cursor.fetchall()
        }
