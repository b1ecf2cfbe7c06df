"""Private files (a provider's proof of its quality marks): outside the web root, never a URL.

The location is read from settings.PRIVATE_MEDIA_ROOT on every use (tests point it elsewhere);
files are served only by views that check who asks (leerrekening.views.provider_account).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view.")
