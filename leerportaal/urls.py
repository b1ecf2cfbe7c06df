from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from leerportaal import views
from leerportaal.metrics import metrics_view
from leerrekening.admin_dashboard import with_dashboard

# The admin has no login of its own: it uses the portal's, with its rate limits and two-factor step.
admin.site.login = secure_admin_login(admin.site.login)
# The start page: the organisation's figures above the model list (leerrekening/admin_dashboard.py).
admin.site.index = with_dashboard(admin.site.index)
admin.site.site_header = _("Leerportaal beheer")
admin.site.site_title = _("Leerportaal beheer")
admin.site.index_title = _("Beheer")

urlpatterns = [
    path("", views.home, name="home"),
    path("geen-rol/", views.no_role, name="no-role"),
    # allauth's login (rate limits, two-factor step) at the Dutch address people know.
    path("inloggen/", allauth_views.LoginView.as_view(), name="login"),
    path("account/", include("allauth.urls")),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include("leerportaal.api.urls")),
    path("", include("leerrekening.urls")),
    path("", include("ambassadeurs.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

# Error pages in the portal's own look; a database outage answers 503 (leerportaal/views.py).
handler500 = "leerportaal.views.server_error"
handler429 = "leerportaal.views.too_many_requests"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
