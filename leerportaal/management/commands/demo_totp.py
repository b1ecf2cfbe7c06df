from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_MFA_LOGINS, DEMO_TOTP_SECRET, current_demo_code


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo employer and coordinator logins."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the demo only (DEBUG=True).")
        self.stdout.write(f"Logins: {', '.join(DEMO_MFA_LOGINS)}")
        self.stdout.write(f"Authenticator secret: {DEMO_TOTP_SECRET}")
        self.stdout.write(f"Current code: {current_demo_code()}")
