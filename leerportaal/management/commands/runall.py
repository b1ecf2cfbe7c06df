"""Run the whole portal in the foreground: web, Celery worker and beat (honcho + Procfile).

Migrates and loads the demo data first. Ctrl-C (or SIGTERM) stops every process, and then the
embedded PostgreSQL and Redis if this session uses them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from leerportaal import embedded


class Command(BaseCommand):
    help = "Migrate, seed the demo data and run web + Celery worker + beat until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--no-seed", action="store_true", help="Do not load the demo data.")

    def handle(self, *args, no_seed: bool = False, **options):
        uses_embedded = bool(
            os.environ.get("LEERPORTAAL_EMBEDDED_POSTGRES")
            or os.environ.get("LEERPORTAAL_EMBEDDED_REDIS")
        )
        # Metrics of processes from an earlier run: their counters would be summed with the new.
        for stale in Path(settings.METRICS_DIR).glob("*.db"):
            stale.unlink()
        try:
            call_command("migrate", interactive=False, verbosity=1)
            if not no_seed:
                call_command("seed_demo")
            self._run_procfile()
        finally:
            if uses_embedded:
                self.stdout.write("Stopping the embedded PostgreSQL and Redis …")
                if os.environ.get("LEERPORTAAL_EMBEDDED_REDIS"):
                    embedded.stop_redis()
                if os.environ.get("LEERPORTAAL_EMBEDDED_POSTGRES"):
                    embedded.stop_postgres()

    def _run_procfile(self) -> None:
        env = dict(os.environ)
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env["PYTHONUNBUFFERED"] = "1"
        procfile = Path(settings.BASE_DIR) / "Procfile"
        process = subprocess.Popen(
            [
                str(Path(bin_dir) / "honcho"),
                "start",
                "-f",
                str(procfile),
                "-d",
                str(procfile.parent),
            ],
            env=env,
        )

        def forward(signum, _frame):
            # Ctrl-C in a terminal reaches the whole process group; SIGTERM only us: pass it on.
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        self.stdout.write(
            self.style.SUCCESS("Leerportaal runs on http://127.0.0.1:8000 — Ctrl-C stops it.")
        )
        process.wait()
