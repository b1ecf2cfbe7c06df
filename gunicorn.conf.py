"""gunicorn settings, read from the working directory: production (Dockerfile, docker-compose)
and bench/portal.py run the portal with exactly these.

One process per CPU: Python runs one thread at a time per process (the GIL), so processes are what
use the cores. Threads per process (gthread) let one request run while others wait for PostgreSQL
(commits, row locks) or Redis. Measured on 2 cores with the booking bench, 32 clients: 2 processes
x 8 threads 164-185 bookings/s, 2 x 4 152-168/s, 2 x 6 ~159/s, 3 x 4 ~176/s. Earlier, when a
booking cost twice the CPU, more threads hurt (2 x 8 ~80/s, 2 x 4 ~135/s, the old 4 x 8 ~100/s):
re-measure when requests get much heavier or lighter.
16 threads since issue 5's fifth session: with 8, 32 keep-alive clients were often spread unevenly
over the two processes (26 and 6 connections: ss), so one process queued requests while threads of
the other stood idle. With 16 every request is in flight and waits only for the CPU or PostgreSQL.
A/B in one run, 15 s rounds, 32 clients (the host's speed drifts from minute to minute, so
pairwise): 16 threads ahead in 6 of 8 rounds, on average +12 bookings/s (+5%); 12 and 24 threads
the same within that noise. The cost is PostgreSQL connections: 16 per process (CONN_MAX_AGE).
WEB_CONCURRENCY (gunicorn's own variable) sets the processes where the CPU count is not what the
container may use (a CPU quota).
"""

import os

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = 16
# The app (Django, every URLconf and view: leerportaal/wsgi.py) is loaded once in the master and
# forked: each worker starts warm and they share those pages. Code changes need a restart (not a
# HUP), as a container deploy does anyway.
preload_app = True
# Requests queued while every thread is busy, as in a rush; they wait rather than get refused.
backlog = 512


def when_ready(server):
    """In the master, once the app is loaded and before the first worker is forked: move every
    object that exists now (Django, the URLconf, the views, ~146,000 objects) out of the garbage
    collector's reach. Otherwise each worker's full collection walks them all and holds the GIL
    meanwhile: measured 72 ms once every ~500 bookings, a pause for every request in flight in that
    process. They live as long as the process does anyway; what requests allocate is still
    collected as before."""
    import gc

    gc.freeze()
