from django.urls import path

from leerrekening import views

app_name = "leerrekening"

urlpatterns = [
    # Worker
    path("mijn-leerrekening/", views.dashboard, name="dashboard"),
    path("mijn-leerrekening/geschiedenis/", views.history, name="history"),
    path("mijn-leerrekening/berichten/", views.notification_list, name="notifications"),
    path("mijn-leerrekening/boekingen/", views.booking_list, name="booking-list"),
    path("mijn-leerrekening/boekingen/<int:pk>/", views.booking_detail, name="booking-detail"),
    path(
        "mijn-leerrekening/boekingen/<int:pk>/annuleren/",
        views.booking_cancel,
        name="booking-cancel",
    ),
    path(
        "mijn-leerrekening/boekingen/<int:pk>/dit-was-ik-niet/",
        views.booking_freeze,
        name="booking-freeze",
    ),
    path("mijn-leerrekening/mijn-gegevens/", views.my_data, name="my-data"),
    path(
        "mijn-leerrekening/mijn-gegevens/export.json",
        views.my_data_export,
        {"fmt": "json"},
        name="my-data-json",
    ),
    path(
        "mijn-leerrekening/mijn-gegevens/export.csv",
        views.my_data_export,
        {"fmt": "csv"},
        name="my-data-csv",
    ),
    path("wie-ziet-wat/", views.who_sees_what, name="who-sees-what"),
    path("opleidingen/", views.catalogue, name="catalogue"),
    path("opleidingen/<int:pk>/", views.course_detail, name="course-detail"),
    path("opleidingen/<int:pk>/boeken/", views.booking_create, name="booking-create"),
    path("opleidingen/<int:pk>/boeken/code/", views.booking_code_send, name="booking-code-send"),
    # Provider staff
    path("opleider/", views.provider_start, name="provider-start"),
    path("opleider/opleidingen/<int:pk>/", views.provider_course, name="provider-course"),
    path(
        "opleider/boekingen/<int:pk>/gestart/",
        views.provider_declare_start,
        name="provider-declare-start",
    ),
    # Coordinators
    path("beheer/catalogus/", views.coordinator_catalogue, name="coordinator-catalogue"),
    path(
        "beheer/opleiders/<int:pk>/goedkeuren/",
        views.coordinator_provider_approve,
        name="coordinator-provider-approve",
    ),
    path(
        "beheer/opleidingen/<int:pk>/goedkeuren/",
        views.coordinator_course_approve,
        name="coordinator-course-approve",
    ),
    path("beheer/boekingen/", views.coordinator_bookings, name="coordinator-bookings"),
    path(
        "beheer/boekingen/<int:pk>/vrijgeven/",
        views.coordinator_booking_release,
        name="coordinator-booking-release",
    ),
    path(
        "beheer/boekingen/<int:pk>/herstellen/",
        views.coordinator_booking_restore,
        name="coordinator-booking-restore",
    ),
]
