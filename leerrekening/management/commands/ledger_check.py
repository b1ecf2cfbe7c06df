from django.core.management.base import BaseCommand, CommandError

from leerrekening.ledger_check import run_and_record


class Command(BaseCommand):
    help = (
        "Verify the ledger invariants on the live database; exit non-zero naming each broken one."
    )

    def handle(self, *args, **options):
        results = run_and_record()
        for result in results:
            mark = self.style.SUCCESS("ok    ") if result.ok else self.style.ERROR("BROKEN")
            self.stdout.write(f"{mark} {result.name} (checked {result.checked}): {result.detail}")
        broken = [r.name for r in results if not r.ok]
        if broken:
            raise CommandError("ledger invariants broken: " + " | ".join(broken))
        self.stdout.write(self.style.SUCCESS(f"All {len(results)} ledger invariants hold."))
