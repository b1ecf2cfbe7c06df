"""gunicorn settings, read from the working directory: production (Dockerfile, docker-compose)
and bench/portal.py run the portal with exactly these.

One process per CPU: Python runs one thread at a time per process (the GIL), so processes are what
use the cores. A few threads per process (gthread) let one request run while another waits for
PostgreSQL or Redis. More threads only add GIL hand-overs and database connections: on 2 cores
the booking bench measured 2 processes x 4 threads at ~135 bookings/s, against ~100/s for
4 x 8, ~80/s for 2 x 8, ~110/s for 4 x 2 and ~96/s for 2 x 2.
WEB_CONCURRENCY (gunicorn's own variable) sets the processes where the CPU count is not what the
container may use (a CPU quota).
"""

import os

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = 4
# Requests queued while every thread is busy, as in a rush; they wait rather than get refused.
backlog = 512
