from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leerportaal.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, replacing "
        "what is there (one transaction: a failed restore changes nothing). Stop the web "
        "server and the Celery worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, file, yes=False, **options):
        name = settings.DATABASES["default"]["NAME"]
        if not yes:
            answer = input(f"Replace the contents of database {name!r} with {file}? [y/N] ")
            if answer.strip().lower() not in {"y", "yes", "j", "ja"}:
                raise CommandError("restore cancelled; nothing was changed")
        try:
            backup_restore(path=file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {file} into {name}; run `manage.py ledger_check` to verify")
