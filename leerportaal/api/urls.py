"""The REST API, versioned under /api/v1/; schema at /api/schema/, docs at /api/docs/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import leerportaal.api.schema  # noqa: F401  (registers the API-key security scheme)
from leerrekening.api import bookings as bookings_api
from leerrekening.api import employer as employer_api
from leerrekening.api import provider as provider_api
from leerrekening.api import views as ledger_api

v1 = [
    path("me/account/", ledger_api.MeAccountApi.as_view(), name="me-account"),
    path("me/transfers/", ledger_api.MeTransfersApi.as_view(), name="me-transfers"),
    path("me/bookings/", bookings_api.MyBookingsApi.as_view(), name="me-bookings"),
    path("me/booking-code/", bookings_api.MyBookingCodeApi.as_view(), name="me-booking-code"),
    path(
        "me/bookings/<int:booking_id>/cancel/",
        bookings_api.MyBookingCancelApi.as_view(),
        name="me-booking-cancel",
    ),
    path("courses/", bookings_api.CoursesApi.as_view(), name="courses"),
    path("employer/deposits/", employer_api.DepositsApi.as_view(), name="employer-deposits"),
    path(
        "employer/deposit-batches/",
        employer_api.DepositBatchesApi.as_view(),
        name="employer-deposit-batches",
    ),
    path(
        "employer/deposit-batches/<int:batch_id>/",
        employer_api.DepositBatchDetailApi.as_view(),
        name="employer-deposit-batch",
    ),
    path(
        "employer/job-changes/", employer_api.JobChangesApi.as_view(), name="employer-job-changes"
    ),
    path(
        "employer/employments/end/",
        employer_api.EmploymentEndApi.as_view(),
        name="employer-employment-end",
    ),
    path(
        "provider/bookings/", provider_api.ProviderBookingsApi.as_view(), name="provider-bookings"
    ),
    path(
        "provider/bookings/<int:booking_id>/start/",
        provider_api.ProviderBookingStartApi.as_view(),
        name="provider-booking-start",
    ),
    path("", include("ambassadeurs.api.urls")),
    path("", include("accounts.api.urls")),
]

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view loads its set-up script as a file: no inline script, so the CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include((v1, "v1"))),
]
