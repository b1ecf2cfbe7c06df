from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeerrekeningConfig(AppConfig):
    name = "leerrekening"
    verbose_name = _("Leerrekening")
