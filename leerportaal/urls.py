from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailAuthenticationForm
from leerportaal import views

admin.site.site_header = _("Leerportaal beheer")
admin.site.site_title = _("Leerportaal beheer")
admin.site.index_title = _("Beheer")

urlpatterns = [
    path("", views.home, name="home"),
    path("geen-rol/", views.no_role, name="no-role"),
    path(
        "inloggen/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", views.health, name="health"),
    path("api/", include("leerportaal.api.urls")),
    path("", include("leerrekening.urls")),
    path("", include("ambassadeurs.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
