"""The ledger's invariants (DESIGN.md, "Money"), verified on a live database with set-based SQL.

Used by `manage.py ledger_check`, the hourly beat task and the tests (after every step of the
stateful test). Each check returns how much it looked at and what is wrong, if anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    checked: int
    detail: str


def _one(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()


def _all(sql: str, params=None, limit: int = 5):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchmany(limit)


def check_zero_sum() -> CheckResult:
    count, total = _one(
        "SELECT count(*), coalesce(sum(balance), 0) FROM leerrekening_ledgeraccount"
    )
    return CheckResult(
        "1. sum of all balances is zero", total == 0, count, f"sum of {count} balances = {total}"
    )


def check_balances_match_transfers() -> CheckResult:
    sql = """
        WITH legs AS (
            SELECT credit_account_id AS account_id, amount FROM leerrekening_transfer
            UNION ALL
            SELECT debit_account_id, -amount FROM leerrekening_transfer
        ), sums AS (SELECT account_id, sum(amount) AS total FROM legs GROUP BY account_id)
        SELECT a.id, a.balance, coalesce(s.total, 0)
          FROM leerrekening_ledgeraccount a LEFT JOIN sums s ON s.account_id = a.id
         WHERE a.balance <> coalesce(s.total, 0)
    """
    wrong = _all(sql)
    (count,) = _one("SELECT count(*) FROM leerrekening_ledgeraccount")
    detail = "; ".join(f"account {a}: stored {b}, transfers {t}" for a, b, t in wrong)
    return CheckResult(
        "2. every stored balance equals the sum of its transfers",
        not wrong,
        count,
        detail or f"{count} accounts match",
    )


def check_no_negative_balances() -> CheckResult:
    wrong = _all(
        "SELECT id, kind, balance FROM leerrekening_ledgeraccount"
        " WHERE kind <> 'external' AND balance < 0"
    )
    (count,) = _one("SELECT count(*) FROM leerrekening_ledgeraccount WHERE kind <> 'external'")
    detail = "; ".join(f"{k} account {a}: {b}" for a, k, b in wrong)
    return CheckResult(
        "3. no worker, funder, reservations or provider balance is negative",
        not wrong,
        count,
        detail or f"{count} accounts not negative",
    )


def check_idempotency_keys_once() -> CheckResult:
    wrong = _all(
        "SELECT idempotency_key, count(*) FROM leerrekening_transfer"
        " GROUP BY idempotency_key HAVING count(*) > 1"
    )
    (count,) = _one("SELECT count(*) FROM leerrekening_transfer")
    detail = "; ".join(f"{k!r} applied {n} times" for k, n in wrong)
    return CheckResult(
        "4. each idempotency key was applied at most once",
        not wrong,
        count,
        detail or f"{count} transfers, each key once",
    )


def check_reservations_settled_once() -> CheckResult:
    problems = []
    problems += [
        f"reservation {r}: status {s} does not fit its settling transfer ({k})"
        for r, s, k in _all(
            """
            SELECT r.id, r.status, coalesce(t.kind, '-')
              FROM leerrekening_reservation r
              LEFT JOIN leerrekening_transfer t ON t.id = r.settle_transfer_id
             WHERE NOT (
                   (r.status = 'open' AND t.id IS NULL)
                OR (r.status = 'posted' AND t.kind = 'payment' AND t.amount = r.amount
                    AND t.credit_account_id = r.payee_id)
                OR (r.status = 'voided' AND t.kind = 'release' AND t.amount = r.amount
                    AND t.credit_account_id = r.account_id))
            """
        )
    ]
    problems += [
        f"reservation {r}: reserve transfer is not a reservation of the same amount"
        for (r,) in _all(
            """
            SELECT r.id FROM leerrekening_reservation r
              JOIN leerrekening_transfer t ON t.id = r.reserve_transfer_id
             WHERE t.kind <> 'reservation' OR t.amount <> r.amount OR t.debit_account_id <> r.account_id
            """
        )
    ]
    problems += [
        f"{kind} transfer {t} settles no reservation"
        for t, kind in _all(
            """
            SELECT t.id, t.kind FROM leerrekening_transfer t
             WHERE t.kind IN ('payment', 'release')
               AND NOT EXISTS (SELECT 1 FROM leerrekening_reservation r WHERE r.settle_transfer_id = t.id)
            """
        )
    ]
    problems += [
        f"reservation transfer {t} has no reservation"
        for (t,) in _all(
            """
            SELECT t.id FROM leerrekening_transfer t WHERE t.kind = 'reservation'
               AND NOT EXISTS (SELECT 1 FROM leerrekening_reservation r WHERE r.reserve_transfer_id = t.id)
            """
        )
    ]
    # Each escrow shard holds exactly the open reservations that were credited to it.
    problems += [
        f"reservations account {a} holds {b}, its open reservations add up to {t}"
        for a, b, t in _all(
            """
            SELECT a.id, a.balance, coalesce(sum(r.amount) FILTER (WHERE r.status = 'open'), 0)
              FROM leerrekening_ledgeraccount a
              LEFT JOIN leerrekening_transfer t ON t.credit_account_id = a.id AND t.kind = 'reservation'
              LEFT JOIN leerrekening_reservation r ON r.reserve_transfer_id = t.id
             WHERE a.kind = 'reservations'
             GROUP BY a.id, a.balance
            HAVING a.balance <> coalesce(sum(r.amount) FILTER (WHERE r.status = 'open'), 0)
            """
        )
    ]
    (count,) = _one("SELECT count(*) FROM leerrekening_reservation")
    return CheckResult(
        "5. every reservation is open, posted or voided, exactly once",
        not problems,
        count,
        "; ".join(problems) or f"{count} reservations consistent",
    )


def check_tranches_match_balances() -> CheckResult:
    problems = [
        f"worker account {a}: balance {b}, tranches add up to {t}"
        for a, b, t in _all(
            """
            SELECT a.id, a.balance, coalesce(sum(tr.remaining), 0)
              FROM leerrekening_ledgeraccount a
              LEFT JOIN leerrekening_tranche tr ON tr.account_id = a.id
             WHERE a.kind = 'worker'
             GROUP BY a.id, a.balance
            HAVING a.balance <> coalesce(sum(tr.remaining), 0)
            """
        )
    ]
    problems += [
        f"tranche {t}: remaining {r} outside 0..{a}"
        for t, r, a in _all(
            "SELECT id, remaining, amount FROM leerrekening_tranche"
            " WHERE remaining < 0 OR remaining > amount"
        )
    ]
    # A tranche opens with its deposit; movements are what changed it afterwards. (Tranches made
    # before 2026-12 also carry a movement for their own deposit: history, equal to the deposit.)
    problems += [
        f"tranche {t}: remaining {r}, its deposit and movements add up to {m}"
        for t, r, m in _all(
            """
            SELECT tr.id, tr.remaining, tr.amount + coalesce(sum(m.amount) FILTER (
                       WHERE m.transfer_id <> tr.deposit_id), 0)
              FROM leerrekening_tranche tr
              LEFT JOIN leerrekening_tranchemovement m ON m.tranche_id = tr.id
             GROUP BY tr.id, tr.remaining, tr.amount, tr.deposit_id
            HAVING tr.remaining <> tr.amount + coalesce(sum(m.amount) FILTER (
                       WHERE m.transfer_id <> tr.deposit_id), 0)
                OR coalesce(bool_or(m.transfer_id = tr.deposit_id AND m.amount <> tr.amount), false)
            """
        )
    ]
    (count,) = _one("SELECT count(*) FROM leerrekening_tranche")
    return CheckResult(
        "6. tranche remainders add up to each worker's balance, within 0..deposited",
        not problems,
        count,
        "; ".join(problems) or f"{count} tranches consistent",
    )


def check_employments_do_not_overlap() -> CheckResult:
    wrong = _all(
        """
        SELECT a.worker_id, a.employer_id, a.id, b.id
          FROM accounts_employment a
          JOIN accounts_employment b
            ON a.worker_id = b.worker_id AND a.employer_id = b.employer_id AND a.id < b.id
           AND daterange(a.start_date, a.end_date, '[]') && daterange(b.start_date, b.end_date, '[]')
        """
    )
    (count,) = _one("SELECT count(*) FROM accounts_employment")
    detail = "; ".join(
        f"worker {w} at employer {e}: employments {x} and {y} overlap" for w, e, x, y in wrong
    )
    return CheckResult(
        "7. at most one employment per worker and employer on any date",
        not wrong,
        count,
        detail or f"{count} employments without overlap",
    )


CHECKS = [
    check_zero_sum,
    check_balances_match_transfers,
    check_no_negative_balances,
    check_idempotency_keys_once,
    check_reservations_settled_once,
    check_tranches_match_balances,
    check_employments_do_not_overlap,
]


def run_checks() -> list[CheckResult]:
    # One snapshot for all checks, so a busy database cannot show a half-made transfer.
    from django.db import transaction

    if connection.in_atomic_block:  # inside a caller's transaction (tests): use its snapshot
        return [check() for check in CHECKS]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return [check() for check in CHECKS]


def run_and_record() -> list[CheckResult]:
    """run_checks, and store what it found (LedgerCheckRun: the names of broken invariants, never
    their rows) for the coordinator's start page and /metrics."""
    from leerrekening.models import LedgerCheckRun

    results = run_checks()
    LedgerCheckRun.objects.create(
        ok=all(r.ok for r in results),
        checked=len(results),
        broken=[r.name for r in results if not r.ok],
    )
    return results
