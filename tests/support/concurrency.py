"""Real concurrency in tests: threads, each with its own PostgreSQL connection."""

from __future__ import annotations

import threading

from django.db import connections


def run_concurrently(n: int, work) -> list:
    """Start n threads at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results
