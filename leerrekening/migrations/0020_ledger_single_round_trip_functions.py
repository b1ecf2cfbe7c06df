"""A plain transfer, a reservation and its settling in one database round trip each.

ledger_transfer_create, ledger_reservation_create and ledger_reservation_settle do what the ledger's Python did in three to
six statements: lock the accounts in the ledger's lock order (learning accounts first, then the
others, each by id; then tranches by id, then the reservation), look up the idempotency key and
compare its request hash, check funds, insert (the statement-level balance and remainder
triggers do their work as before; CHECK constraints and the append-only triggers still guard
every row).

Accounts are locked through one primary-key index scan each (unnest ... JOIN), not a bitmap scan
of `id IN (...)`: an index scan marks dead index entries of the accounts' many updated versions
as it passes them, a bitmap scan never does (measured: 157 vs 87 us per lock with autovacuum
behind).

A refusal found under the locks writes nothing and comes back as a row whose `refusal` is the
ledger error's code (idempotency_conflict, insufficient_funds, reservation_already_settled), so
the caller's transaction is not aborted; Python raises the same exception as before
(leerrekening.ledger.core.refusal_raise). A concurrent call with the same key is waited for by
INSERT ... ON CONFLICT DO NOTHING, after which the next statement sees its transfer (READ
COMMITTED: each statement of a volatile function takes a new snapshot) and replays or refuses it.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION ledger_transfer_create(
    p_debit bigint, p_credit bigint, p_amount numeric, p_kind text, p_key text, p_hash text,
    p_cause text, p_non_negative text[], p_now timestamptz,
    OUT refusal text, OUT transfer_id bigint, OUT replayed boolean, OUT available numeric
) LANGUAGE plpgsql AS $$
DECLARE
    v_row record;
    v_hash text;
    v_kind text;
BEGIN
    replayed := false;
    -- Lock both accounts in the lock order, reading the debit side's kind and balance as locked.
    FOR v_row IN SELECT a.id, a.kind, a.balance
                   FROM unnest(ARRAY[p_debit, p_credit]) AS u(id)
                   JOIN leerrekening_ledgeraccount a ON a.id = u.id
                  ORDER BY (a.kind <> 'worker'), a.id FOR UPDATE OF a
    LOOP
        IF v_row.id = p_debit THEN
            v_kind := v_row.kind;
            available := v_row.balance;
        END IF;
    END LOOP;
    -- Enough money: insert, and a key used before (or by a concurrent call, waited for) shows as
    -- no row inserted. Not enough: a key used before is still a replay, else a refusal.
    IF NOT (v_kind = ANY(p_non_negative) AND available < p_amount) THEN
        available := NULL;
        INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,
            idempotency_key, request_hash, cause, reverses_id, created_at)
        VALUES (p_debit, p_credit, p_amount, p_kind, p_key, p_hash, p_cause, NULL, p_now)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id INTO transfer_id;
        IF transfer_id IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    SELECT t.id, t.request_hash INTO transfer_id, v_hash
      FROM leerrekening_transfer t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        replayed := true;
        available := NULL;
        IF v_hash IS DISTINCT FROM p_hash THEN refusal := 'idempotency_conflict'; END IF;
        RETURN;
    END IF;
    refusal := 'insufficient_funds';
END $$;

-- The request hash of a reservation, as leerrekening.ledger.core.request_hash writes it in Python
-- (compact JSON with sorted keys; the caller passes the amount as text and the cause as JSON, as
-- Python's json.dumps writes them). tests/leerrekening/test_ledger_request_hash.py checks that
-- both forms agree.
CREATE FUNCTION ledger_reserve_request_hash(
    p_account bigint, p_payee bigint, p_amount_text text, p_cause_json text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(
        '{"account":' || p_account || ',"amount":"' || p_amount_text || '","cause":'
        || p_cause_json || ',"op":"reserve","payee":' || p_payee || '}', 'UTF8')), 'hex')
$$;

-- Reserve: lock the worker's learning account and its escrow shard (lock order), then its
-- spendable tranches (spending order: the one ending first), check the key, check funds, take
-- from the tranches in spending order, and insert the transfer, its movements and the
-- reservation (the balance and remainder triggers run at the end of each insert).
-- refusal 'accounts_missing': the worker's account, its escrow shard or the provider's account
-- does not exist yet; nothing was written and the caller opens them and calls again.
CREATE FUNCTION ledger_reservation_create(
    p_worker bigint, p_provider bigint, p_amount numeric, p_amount_text text, p_cause text,
    p_cause_json text, p_key text, p_shards int, p_today date, p_now timestamptz,
    OUT refusal text, OUT o_reservation bigint, OUT o_transfer bigint, OUT o_account bigint,
    OUT o_payee bigint, OUT available numeric, OUT replayed boolean
) LANGUAGE plpgsql AS $$
DECLARE
    v_escrow bigint;
    v_hash text;
    v_existing_hash text;
BEGIN
    replayed := false;
    SELECT w.id, r.id INTO o_account, v_escrow FROM leerrekening_ledgeraccount w
      LEFT JOIN leerrekening_ledgeraccount r ON r.kind = 'reservations' AND r.shard = w.id % p_shards
     WHERE w.worker_id = p_worker;
    PERFORM 1 FROM unnest(ARRAY[o_account, v_escrow]) AS u(id)
      JOIN leerrekening_ledgeraccount a ON a.id = u.id
     ORDER BY (a.kind <> 'worker'), a.id FOR UPDATE OF a;
    SELECT p.id INTO o_payee FROM leerrekening_ledgeraccount p WHERE p.provider_id = p_provider;
    IF o_account IS NULL OR v_escrow IS NULL OR o_payee IS NULL THEN
        refusal := 'accounts_missing';
        RETURN;
    END IF;
    -- A tranche past its end date that goes back to its funder is no longer spendable, even
    -- before the expiry task has moved it.
    PERFORM 1 FROM leerrekening_tranche t
      WHERE t.account_id = o_account AND t.spendable
        AND (t.ends_on IS NULL OR t.ends_on >= p_today OR t.at_end = 'keep')
      ORDER BY t.ends_on ASC NULLS LAST, t.id FOR UPDATE;
    v_hash := ledger_reserve_request_hash(o_account, o_payee, p_amount_text, p_cause_json);
    SELECT t.id, t.request_hash INTO o_transfer, v_existing_hash
      FROM leerrekening_transfer t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        replayed := true;
        IF v_existing_hash IS DISTINCT FROM v_hash THEN refusal := 'idempotency_conflict'; END IF;
        SELECT res.id INTO o_reservation FROM leerrekening_reservation res
         WHERE res.reserve_transfer_id = o_transfer;
        RETURN;
    END IF;
    SELECT coalesce(sum(t.remaining), 0) INTO available FROM leerrekening_tranche t
      WHERE t.account_id = o_account AND t.spendable
        AND (t.ends_on IS NULL OR t.ends_on >= p_today OR t.at_end = 'keep');
    IF available < p_amount THEN
        refusal := 'insufficient_funds';
        RETURN;
    END IF;
    available := NULL;
    INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,
        idempotency_key, request_hash, cause, reverses_id, created_at)
    VALUES (o_account, v_escrow, p_amount, 'reservation', p_key, v_hash, p_cause, NULL, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO o_transfer;
    IF o_transfer IS NULL THEN
        -- A concurrent call with this key committed first: replay it, or refuse.
        SELECT t.id, t.request_hash INTO o_transfer, v_existing_hash
          FROM leerrekening_transfer t WHERE t.idempotency_key = p_key;
        replayed := true;
        IF v_existing_hash IS DISTINCT FROM v_hash THEN refusal := 'idempotency_conflict'; END IF;
        SELECT res.id INTO o_reservation FROM leerrekening_reservation res
         WHERE res.reserve_transfer_id = o_transfer;
        RETURN;
    END IF;
    -- From each tranche in spending order what is still needed after the ones before it.
    INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)
    SELECT o_transfer, s.id, -least(s.remaining, p_amount - s.before)
      FROM (SELECT t.id, t.remaining,
                   coalesce(sum(t.remaining) OVER (ORDER BY t.ends_on ASC NULLS LAST, t.id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
              FROM leerrekening_tranche t
             WHERE t.account_id = o_account AND t.spendable
               AND (t.ends_on IS NULL OR t.ends_on >= p_today OR t.at_end = 'keep')) s
     WHERE s.before < p_amount;
    INSERT INTO leerrekening_reservation (account_id, payee_id, amount, status,
        reserve_transfer_id, settle_transfer_id, cause, created_at, settled_at)
    VALUES (o_account, o_payee, p_amount, 'open', o_transfer, NULL, p_cause, p_now, NULL)
    RETURNING id INTO o_reservation;
END $$;

CREATE FUNCTION ledger_reservation_settle(
    p_reservation bigint, p_post boolean, p_key text, p_hash text, p_kind text, p_now timestamptz,
    OUT refusal text, OUT transfer_id bigint, OUT replayed boolean, OUT status text
) LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_escrow bigint;
    v_target bigint;
    v_hash text;
BEGIN
    replayed := false;
    SELECT res.account_id, res.payee_id, res.amount, res.cause, res.reserve_transfer_id
      INTO r FROM leerrekening_reservation res WHERE res.id = p_reservation;
    IF NOT FOUND THEN
        refusal := 'reservation_missing';
        RETURN;
    END IF;
    -- The shard the reservation went to (its reserve transfer's credit side).
    SELECT t.credit_account_id INTO v_escrow
      FROM leerrekening_transfer t WHERE t.id = r.reserve_transfer_id;
    v_target := CASE WHEN p_post THEN r.payee_id ELSE r.account_id END;
    PERFORM 1 FROM unnest(ARRAY[v_escrow, v_target]) AS u(id)
      JOIN leerrekening_ledgeraccount a ON a.id = u.id
     ORDER BY (a.kind <> 'worker'), a.id FOR UPDATE OF a;
    SELECT res.status INTO status FROM leerrekening_reservation res
     WHERE res.id = p_reservation FOR UPDATE;
    SELECT t.id, t.request_hash INTO transfer_id, v_hash
      FROM leerrekening_transfer t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        replayed := true;
        IF v_hash IS DISTINCT FROM p_hash THEN refusal := 'idempotency_conflict'; END IF;
        RETURN;
    END IF;
    IF status <> 'open' THEN
        refusal := 'reservation_already_settled';
        RETURN;
    END IF;
    INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,
        idempotency_key, request_hash, cause, reverses_id, created_at)
    VALUES (v_escrow, v_target, r.amount, p_kind, p_key, p_hash, r.cause, NULL, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO transfer_id;
    IF transfer_id IS NULL THEN
        SELECT t.id, t.request_hash INTO transfer_id, v_hash
          FROM leerrekening_transfer t WHERE t.idempotency_key = p_key;
        replayed := true;
        IF v_hash IS DISTINCT FROM p_hash THEN refusal := 'idempotency_conflict'; END IF;
        RETURN;
    END IF;
    IF NOT p_post THEN
        -- Back into the very tranches the reservation took from (locked by id).
        PERFORM 1 FROM leerrekening_tranche tr WHERE tr.id IN (
            SELECT m.tranche_id FROM leerrekening_tranchemovement m
             WHERE m.transfer_id = r.reserve_transfer_id) ORDER BY tr.id FOR UPDATE;
        INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)
        SELECT ledger_reservation_settle.transfer_id, m.tranche_id, -m.amount
          FROM leerrekening_tranchemovement m
         WHERE m.transfer_id = r.reserve_transfer_id ORDER BY m.tranche_id;
    END IF;
    status := CASE WHEN p_post THEN 'posted' ELSE 'voided' END;
    UPDATE leerrekening_reservation
       SET status = ledger_reservation_settle.status,
           settle_transfer_id = ledger_reservation_settle.transfer_id, settled_at = p_now
     WHERE id = p_reservation;
END $$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS ledger_transfer_create(bigint, bigint, numeric, text, text, text, text,
    text[], timestamptz);
DROP FUNCTION IF EXISTS ledger_reservation_settle(bigint, boolean, text, text, text, timestamptz);
DROP FUNCTION IF EXISTS ledger_reservation_create(bigint, bigint, numeric, text, text, text, text,
    int, date, timestamptz);
DROP FUNCTION IF EXISTS ledger_reserve_request_hash(bigint, bigint, text, text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("leerrekening", "0019_confirmation_attempts_and_lockouts"),
    ]

    operations = [migrations.RunSQL(sql=FUNCTIONS, reverse_sql=DROP_FUNCTIONS)]
