"""gunicorn settings, read from the working directory: production (Dockerfile, docker-compose)
and bench/portal.py run the portal with exactly these.

One process per CPU: Python runs one thread at a time per process (the GIL), so processes are what
use the cores. Threads per process (gthread) let one request run while others wait for PostgreSQL
(commits, row locks) or Redis. Measured on 2 cores with the booking bench, 32 clients: 2 processes
x 8 threads 164-185 bookings/s, 2 x 4 152-168/s, 2 x 6 ~159/s, 3 x 4 ~176/s. Earlier, when a
booking cost twice the CPU, more threads hurt (2 x 8 ~80/s, 2 x 4 ~135/s, the old 4 x 8 ~100/s):
re-measure when requests get much heavier or lighter.
WEB_CONCURRENCY (gunicorn's own variable) sets the processes where the CPU count is not what the
container may use (a CPU quota).
"""

import os

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = 8
# The app (Django, every URLconf and view: leerportaal/wsgi.py) is loaded once in the master and
# forked: each worker starts warm and they share those pages. Code changes need a restart (not a
# HUP), as a container deploy does anyway.
preload_app = True
# Requests queued while every thread is busy, as in a rush; they wait rather than get refused.
backlog = 512
