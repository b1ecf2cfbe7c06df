from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leerportaal.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Refuses with DEBUG=False unless --force."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG=False (not for production)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG=False: it creates accounts with a known "
                "password. Use --force if this really is a demo environment."
            )
        counts = seed_demo()
        # The coordinator's start page shows the books' health from the first minute (beat runs
        # ledger_check hourly after that).
        from leerrekening.ledger_check import run_and_record

        run_and_record()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {counts['users']} users, {counts['employers']} employers, "
                f"{counts['courses']} courses. Password for every demo login: {DEMO_PASSWORD}"
            )
        )
