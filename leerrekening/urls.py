from django.urls import path

from leerrekening.views import coordinator, provider, provider_account, worker

app_name = "leerrekening"

urlpatterns = [
    # Worker
    path("mijn-leerrekening/", worker.dashboard, name="dashboard"),
    path("mijn-leerrekening/geschiedenis/", worker.history, name="history"),
    path("mijn-leerrekening/berichten/", worker.notification_list, name="notifications"),
    path("mijn-leerrekening/boekingen/", worker.booking_list, name="booking-list"),
    path("mijn-leerrekening/boekingen/<int:pk>/", worker.booking_detail, name="booking-detail"),
    path(
        "mijn-leerrekening/boekingen/<int:pk>/annuleren/",
        worker.booking_cancel,
        name="booking-cancel",
    ),
    path(
        "mijn-leerrekening/boekingen/<int:pk>/dit-was-ik-niet/",
        worker.booking_freeze,
        name="booking-freeze",
    ),
    path("mijn-leerrekening/mijn-gegevens/", worker.my_data, name="my-data"),
    path(
        "mijn-leerrekening/mijn-gegevens/export.json",
        worker.my_data_export,
        {"fmt": "json"},
        name="my-data-json",
    ),
    path(
        "mijn-leerrekening/mijn-gegevens/export.csv",
        worker.my_data_export,
        {"fmt": "csv"},
        name="my-data-csv",
    ),
    path("wie-ziet-wat/", worker.who_sees_what, name="who-sees-what"),
    path("opleidingen/", worker.catalogue, name="catalogue"),
    path("opleidingen/<int:pk>/", worker.course_detail, name="course-detail"),
    path("opleidingen/<int:pk>/boeken/", worker.booking_create, name="booking-create"),
    path("opleidingen/<int:pk>/boeken/code/", worker.booking_code_send, name="booking-code-send"),
    # Provider staff
    path("opleider/", provider.provider_start, name="provider-start"),
    path("opleider/aanmelden/", provider_account.provider_register, name="provider-register"),
    path("opleider/gegevens/", provider_account.provider_details, name="provider-details"),
    path("opleider/team/", provider_account.provider_team, name="provider-team"),
    path(
        "opleider/team/<int:pk>/verwijderen/",
        provider_account.provider_team_remove,
        name="provider-team-remove",
    ),
    path(
        "opleider/uitnodiging/<str:token>/",
        provider_account.provider_invitation,
        name="provider-invitation",
    ),
    path("opleider/bewijs/<int:pk>/", provider_account.provider_proof, name="provider-proof"),
    path("opleider/opleidingen/<int:pk>/", provider.provider_course, name="provider-course"),
    path(
        "opleider/boekingen/<int:pk>/gestart/",
        provider.provider_declare_start,
        name="provider-declare-start",
    ),
    # Coordinators
    path("beheer/catalogus/", coordinator.coordinator_catalogue, name="coordinator-catalogue"),
    path(
        "beheer/opleiders/<int:pk>/goedkeuren/",
        coordinator.coordinator_provider_approve,
        name="coordinator-provider-approve",
    ),
    path(
        "beheer/opleidingen/<int:pk>/goedkeuren/",
        coordinator.coordinator_course_approve,
        name="coordinator-course-approve",
    ),
    path(
        "beheer/opleiders/<int:pk>/afwijzen/",
        coordinator.coordinator_provider_reject,
        name="coordinator-provider-reject",
    ),
    path(
        "beheer/opleiders/<int:pk>/intrekken/",
        coordinator.coordinator_provider_withdraw,
        name="coordinator-provider-withdraw",
    ),
    path(
        "beheer/opleidingen/<int:pk>/afwijzen/",
        coordinator.coordinator_course_reject,
        name="coordinator-course-reject",
    ),
    path(
        "beheer/opleidingen/<int:pk>/intrekken/",
        coordinator.coordinator_course_withdraw,
        name="coordinator-course-withdraw",
    ),
    path("beheer/boekingen/", coordinator.coordinator_bookings, name="coordinator-bookings"),
    path(
        "beheer/boekingen/<int:pk>/vrijgeven/",
        coordinator.coordinator_booking_release,
        name="coordinator-booking-release",
    ),
    path(
        "beheer/boekingen/<int:pk>/herstellen/",
        coordinator.coordinator_booking_restore,
        name="coordinator-booking-restore",
    ),
]
