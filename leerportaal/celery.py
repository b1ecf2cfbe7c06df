"""The Celery app. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerportaal.settings")

app = Celery("leerportaal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(sender=None, **kwargs):
    """Around each task, what Django does around each request: drop a database connection that
    broke or is older than CONN_MAX_AGE, keep the others. (Celery's own Django fix-up would close
    every connection before and after every task; CELERY_DB_REUSE_MAX in settings turns that
    off.) Not for a task run eagerly inside a request or a test: that is the request's own
    connection, possibly inside its transaction."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections as close

    close()


@task_postrun.connect
def count_task(sender=None, task=None, state=None, **kwargs):
    """Tasks by outcome, for /metrics (leerportaal/metrics.py)."""
    from leerportaal.metrics import task_finished

    task_finished(task=task, state=state)


@task_prerun.connect
def log_with_task_id(sender=None, task_id=None, **kwargs):
    """A task's log lines carry its id, as a request's carry the request id."""
    from leerportaal.logs import request_id

    request_id.set(task_id or "-")
