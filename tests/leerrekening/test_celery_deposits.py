"""Deposit batches through a real Celery worker process and a private Redis: exactly once when a
task is delivered twice, when the worker is SIGKILLed half way, and when Redis is down at the
moment a batch is confirmed."""

from __future__ import annotations

import datetime
import os
import re
from decimal import Decimal

import pytest
from django.db import connection

from leerrekening.deposits import applying
from leerrekening.deposits import services as deposits
from leerrekening.models import DepositBatch, Transfer
from tests.support.deposits import roster, upload
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of
from tests.support.processes import (
    CeleryWorker,
    RedisServer,
    celery_pointed_at,
    free_port,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis(tmp_path, settings):
    server = RedisServer(port=free_port(), directory=tmp_path).start()
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    with celery_pointed_at(server.url):
        yield server
    server.stop()


@pytest.fixture
def worker_factory(private_redis, tmp_path):
    started: list[CeleryWorker] = []

    def start(concurrency: int = 1) -> CeleryWorker:
        worker = CeleryWorker(
            redis_url=private_redis.url,
            log_path=tmp_path / f"worker{len(started)}.log",
            concurrency=concurrency,
        ).start()
        started.append(worker)
        worker.wait_ready(app=None)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _confirmed_batch(acme, lines: int, amount: str = "10.00") -> DepositBatch:
    funder = fund("1000000.00", employer=acme)
    roster(acme, lines)
    batch = upload(funder, acme, [f"{i:06d};{amount}" for i in range(1, lines + 1)])
    assert batch.status == "validated", batch.errors[:3]
    # Confirm outside any test transaction: the on-commit hook sends the task for real.
    return deposits.deposit_batch_confirm(batch=batch, by=None)


def _finished(batch_id: int, timeout: float = 60) -> DepositBatch:
    return wait_for(
        lambda: DepositBatch.objects.filter(pk=batch_id, status="done").first(),
        timeout=timeout,
        what=f"batch {batch_id} done",
    )


def _assert_each_line_once(batch: DepositBatch, lines: int, amount: Decimal) -> None:
    transfers = Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:line:")
    assert transfers.count() == lines
    assert transfers.values("credit_account").distinct().count() == lines
    assert (batch.lines_applied, batch.amount_applied) == (lines, amount * lines)
    assert_invariants_hold()


def test_a_confirmed_batch_is_applied_by_the_worker(acme, worker_factory):
    worker_factory()
    batch = _confirmed_batch(acme, 25)
    done = _finished(batch.pk)
    _assert_each_line_once(done, 25, Decimal("10.00"))


def test_the_same_task_delivered_twice_applies_every_line_once(acme, worker_factory):
    from leerrekening.tasks import deposit_batch_apply

    batch = _confirmed_batch(acme, 40)
    # Two more deliveries of the same task before any worker runs: three in the queue.
    deposit_batch_apply.apply_async(args=[batch.pk])
    deposit_batch_apply.apply_async(args=[batch.pk])
    worker_factory()
    done = _finished(batch.pk)
    _assert_each_line_once(done, 40, Decimal("10.00"))
    # And a re-run after it finished moves nothing.
    deposit_batch_apply.apply_async(args=[batch.pk])
    applying.deposit_batch_apply(batch_id=batch.pk)
    _assert_each_line_once(DepositBatch.objects.get(pk=batch.pk), 40, Decimal("10.00"))


def test_a_worker_killed_half_way_leaves_a_batch_that_completes_exactly_once(
    acme, worker_factory, settings
):
    lines = 3000
    # Small chunks that each take a while, so the kill lands in the middle of the batch.
    settings_chunk = 100
    with connection.cursor() as cursor:
        # Slow every chunk down inside the worker's transaction: a trigger that sleeps 100 ms
        # when a chunk is marked applied (test-only; dropped below).
        cursor.execute(
            "CREATE OR REPLACE FUNCTION test_slow_batch() RETURNS trigger AS $$"
            " BEGIN PERFORM pg_sleep(0.1); RETURN NEW; END $$ LANGUAGE plpgsql;"
            " CREATE TRIGGER test_slow_batch BEFORE UPDATE ON leerrekening_depositbatchchunk"
            " FOR EACH ROW WHEN (NEW.applied_at IS NOT NULL AND OLD.applied_at IS NULL)"
            " EXECUTE FUNCTION test_slow_batch();"
        )
    try:
        env = {"DEPOSIT_BATCH_CHUNK_SIZE": str(settings_chunk)}
        worker = worker_factory_with_env(worker_factory, **env)
        batch = _confirmed_batch(acme, lines, "1.00")
        wait_for(
            lambda: DepositBatch.objects.filter(pk=batch.pk, lines_applied__gte=500).exists(),
            timeout=60,
            what="batch half way",
        )
        worker.kill()
        half = DepositBatch.objects.get(pk=batch.pk)
        assert 0 < half.lines_applied < lines, half.lines_applied
        applied = Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:").count()
        assert applied == half.lines_applied  # progress is never ahead of or behind the ledger
        assert_invariants_hold()

        worker_factory_with_env(worker_factory, **env)  # restarted: the task is delivered again
        done = _finished(batch.pk, timeout=120)
        _assert_each_line_once(done, lines, Decimal("1.00"))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS test_slow_batch ON leerrekening_depositbatchchunk;"
                " DROP FUNCTION IF EXISTS test_slow_batch();"
            )


def worker_factory_with_env(worker_factory, concurrency: int = 1, **env):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return worker_factory(concurrency)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_two_worker_processes_share_a_batch_and_apply_every_line_once(
    acme, worker_factory, tmp_path
):
    lines = 600
    with connection.cursor() as cursor:
        # Each chunk takes a while, so the second process finds chunks left to claim.
        cursor.execute(
            "CREATE OR REPLACE FUNCTION test_slow_batch() RETURNS trigger AS $$"
            " BEGIN PERFORM pg_sleep(0.1); RETURN NEW; END $$ LANGUAGE plpgsql;"
            " CREATE TRIGGER test_slow_batch BEFORE UPDATE ON leerrekening_depositbatchchunk"
            " FOR EACH ROW WHEN (NEW.applied_at IS NOT NULL AND OLD.applied_at IS NULL)"
            " EXECUTE FUNCTION test_slow_batch();"
        )
    try:
        worker_factory_with_env(
            worker_factory, concurrency=2, DEPOSIT_BATCH_CHUNK_SIZE="30", DEPOSIT_BATCH_WORKERS="2"
        )
        batch = _confirmed_batch(acme, lines, "1.00")  # one message; the task asks for a helper
        done = _finished(batch.pk, timeout=120)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS test_slow_batch ON leerrekening_depositbatchchunk;"
                " DROP FUNCTION IF EXISTS test_slow_batch();"
            )
    _assert_each_line_once(done, lines, Decimal("1.00"))
    # Both tasks (the first and its helper, in the two pool processes) applied chunks.
    log = (tmp_path / "worker0.log").read_text()
    applied = [
        int(n) for n in re.findall(r"deposit_batch_apply\[[^]]+\] succeeded.*'lines': (\d+)", log)
    ]
    assert len([n for n in applied if n]) == 2, log[-3000:]
    assert sum(applied) == lines


def test_a_batch_confirmed_while_redis_is_down_is_applied_once_redis_is_back(
    acme, private_redis, worker_factory, tmp_path
):
    private_redis.stop()
    batch = _confirmed_batch(acme, 30)  # must not raise: the broker is unreachable
    stored = DepositBatch.objects.get(pk=batch.pk)
    assert stored.status == "confirmed"
    assert not Transfer.objects.filter(kind="deposit").exists()

    private_redis.start()  # same port: the app reconnects by itself
    worker_factory()
    # The sweeper (beat, every minute) finds it: here it runs with a zero staleness window.
    assert applying.deposit_batches_sweep(stale_after=datetime.timedelta(0)) == [batch.pk]
    done = _finished(batch.pk)
    _assert_each_line_once(done, 30, Decimal("10.00"))
    # A second sweep after it is done sends nothing; nothing is doubled.
    assert applying.deposit_batches_sweep(stale_after=datetime.timedelta(0)) == []
    funder = done.funder
    from leerrekening import ledger

    assert balance_of(ledger.account_for_funder(funder=funder)) == Decimal("999700.00")
