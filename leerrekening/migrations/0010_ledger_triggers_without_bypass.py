"""The ledger's triggers, written by hand (this migration is their only home).

Why not django-pgtrigger here: its trigger functions first ask `_pgtrigger_should_ignore`, which
reads a session setting inside an exception block for every row. That made a 5,000-line deposit
chunk four times slower, and any connection could `SET pgtrigger.ignore` to switch the guards
off. These functions have no such switch: only a table owner altering the table can.

The balance trigger is statement-level: a bulk insert of 5,000 deposits updates each account
row once. A tranche's own deposit movement is history only (the tranche opens full).
"""

import pgtrigger.migrations
from django.db import migrations

INSTALL = r'''
CREATE FUNCTION ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;

CREATE FUNCTION ledger_only_from_ledger_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is a direct UPDATE; the transfer and movement triggers update at depth 2.
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION ledger_apply_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN

UPDATE leerrekening_ledgeraccount AS account
   SET balance = account.balance + delta.amount
  FROM (
        SELECT account_id, SUM(amount) AS amount FROM (
            SELECT credit_account_id AS account_id, amount FROM new_transfers
            UNION ALL
            SELECT debit_account_id, -amount FROM new_transfers
        ) AS legs
        GROUP BY account_id
       ) AS delta
 WHERE account.id = delta.account_id;
RETURN NULL;

END $$;

CREATE FUNCTION ledger_apply_movements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN

UPDATE leerrekening_tranche AS tranche
   SET remaining = tranche.remaining + delta.amount
  FROM (SELECT m.tranche_id, SUM(m.amount) AS amount
          FROM new_movements m
          JOIN leerrekening_tranche t ON t.id = m.tranche_id
         WHERE m.transfer_id <> t.deposit_id
         GROUP BY m.tranche_id) AS delta
 WHERE tranche.id = delta.tranche_id;
RETURN NULL;

END $$;

CREATE FUNCTION ledger_reservation_settles_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'open' OR NEW.status = 'open'
       OR OLD.amount <> NEW.amount OR OLD.account_id <> NEW.account_id
       OR OLD.payee_id <> NEW.payee_id OR OLD.reserve_transfer_id <> NEW.reserve_transfer_id THEN
        RAISE EXCEPTION 'a reservation is settled once, from open to posted or voided'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER transfer_append_only BEFORE UPDATE OR DELETE ON leerrekening_transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse('transfers are append-only');
CREATE TRIGGER transfer_applies_to_balances AFTER INSERT ON leerrekening_transfer
    REFERENCING NEW TABLE AS new_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_transfers();

CREATE TRIGGER ledger_account_opens_at_zero BEFORE INSERT ON leerrekening_ledgeraccount
    FOR EACH ROW WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION ledger_refuse('a ledger account opens with balance 0');
CREATE TRIGGER ledger_balance_only_by_transfers BEFORE UPDATE OF balance ON leerrekening_ledgeraccount
    FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance)
    EXECUTE FUNCTION ledger_only_from_ledger_trigger('a balance changes only by inserting a transfer');
CREATE TRIGGER ledger_account_never_deleted BEFORE DELETE ON leerrekening_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse('ledger accounts are never deleted');

CREATE TRIGGER tranche_opens_full BEFORE INSERT ON leerrekening_tranche
    FOR EACH ROW WHEN (NEW.remaining <> NEW.amount)
    EXECUTE FUNCTION ledger_refuse('a tranche opens with its whole deposit remaining');
CREATE TRIGGER tranche_remaining_only_by_movements BEFORE UPDATE OF remaining ON leerrekening_tranche
    FOR EACH ROW WHEN (OLD.remaining IS DISTINCT FROM NEW.remaining)
    EXECUTE FUNCTION ledger_only_from_ledger_trigger('a tranche remainder changes only by a tranche movement');
CREATE TRIGGER tranche_never_deleted BEFORE DELETE ON leerrekening_tranche
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse('tranches are never deleted');

CREATE TRIGGER tranche_movement_append_only BEFORE UPDATE OR DELETE ON leerrekening_tranchemovement
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse('tranche movements are append-only');
CREATE TRIGGER tranche_movement_applies AFTER INSERT ON leerrekening_tranchemovement
    REFERENCING NEW TABLE AS new_movements
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_movements();

CREATE TRIGGER reservation_settles_once BEFORE UPDATE ON leerrekening_reservation
    FOR EACH ROW EXECUTE FUNCTION ledger_reservation_settles_once();
CREATE TRIGGER reservation_never_deleted BEFORE DELETE ON leerrekening_reservation
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse('reservations are never deleted');
'''

UNINSTALL = r'''
DROP TRIGGER IF EXISTS transfer_append_only ON leerrekening_transfer;
DROP TRIGGER IF EXISTS transfer_applies_to_balances ON leerrekening_transfer;
DROP TRIGGER IF EXISTS ledger_account_opens_at_zero ON leerrekening_ledgeraccount;
DROP TRIGGER IF EXISTS ledger_balance_only_by_transfers ON leerrekening_ledgeraccount;
DROP TRIGGER IF EXISTS ledger_account_never_deleted ON leerrekening_ledgeraccount;
DROP TRIGGER IF EXISTS tranche_opens_full ON leerrekening_tranche;
DROP TRIGGER IF EXISTS tranche_remaining_only_by_movements ON leerrekening_tranche;
DROP TRIGGER IF EXISTS tranche_never_deleted ON leerrekening_tranche;
DROP TRIGGER IF EXISTS tranche_movement_append_only ON leerrekening_tranchemovement;
DROP TRIGGER IF EXISTS tranche_movement_applies ON leerrekening_tranchemovement;
DROP TRIGGER IF EXISTS reservation_settles_once ON leerrekening_reservation;
DROP TRIGGER IF EXISTS reservation_never_deleted ON leerrekening_reservation;
DROP FUNCTION IF EXISTS ledger_refuse();
DROP FUNCTION IF EXISTS ledger_only_from_ledger_trigger();
DROP FUNCTION IF EXISTS ledger_apply_transfers();
DROP FUNCTION IF EXISTS ledger_apply_movements();
DROP FUNCTION IF EXISTS ledger_reservation_settles_once();
'''


class Migration(migrations.Migration):

    dependencies = [
        ('leerrekening', '0009_tranche_opens_full'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='ledgeraccount',
            name='ledger_account_opens_at_zero',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='ledgeraccount',
            name='ledger_balance_only_by_transfers',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='ledgeraccount',
            name='ledger_account_never_deleted',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='reservation',
            name='reservation_settles_once',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='reservation',
            name='reservation_never_deleted',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='tranche',
            name='tranche_remaining_only_by_movements',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='tranche',
            name='tranche_never_deleted',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='tranche',
            name='tranche_opens_full',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='tranchemovement',
            name='tranche_movement_append_only',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='tranchemovement',
            name='tranche_movement_applies',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='transfer',
            name='transfer_append_only',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='transfer',
            name='transfer_applies_to_balances',
        ),
        # Hand-written replacements: see the module docstring for why.
        migrations.RunSQL(sql=INSTALL, reverse_sql=UNINSTALL),
    ]
