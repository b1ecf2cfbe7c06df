from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leerportaal.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write a compressed dump of the database to .data/backups/ (or --directory)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, help="where to write it")
        parser.add_argument("--keep", type=int, help="keep only this many newest backups there")

    def handle(self, *args, directory=None, keep=None, **options):
        try:
            path = backup_create(directory=directory, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{path} ({path.stat().st_size:,} bytes)")
