from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Gebruikers en werkgevers")

    def ready(self):
        from allauth.account.signals import email_added
        from django.db.models.signals import post_save

        from accounts.adapters import email_added_notify
        from accounts.addresses import user_created_address_verified
        from accounts.models import User

        post_save.connect(
            user_created_address_verified, sender=User, dispatch_uid="user_created_address"
        )
        email_added.connect(email_added_notify, dispatch_uid="email_added_notify")
