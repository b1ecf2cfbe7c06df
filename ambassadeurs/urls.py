from django.urls import path

from ambassadeurs import views

app_name = "ambassadeurs"

urlpatterns = [
    # Worker
    path("gesprek/", views.worker_home, name="worker-home"),
    path("gesprek/aanvragen/", views.request_create, name="request-create"),
    path(
        "gesprek/hulpvragen/<int:pk>/intrekken/",
        views.worker_request_cancel,
        name="worker-request-cancel",
    ),
    path("gesprek/anoniem/<str:token>/", views.anonymous_status, name="anonymous-status"),
    path("gesprek/gesprekken/<int:pk>/", views.worker_conversation, name="worker-conversation"),
    path(
        "gesprek/gesprekken/<int:pk>/ontkoppelen/",
        views.worker_conversation_unlink,
        name="worker-conversation-unlink",
    ),
    # Ambassador
    path("ambassadeur/", views.start, name="start"),
    path("ambassadeur/hulpvragen/<int:pk>/", views.request_detail, name="request-detail"),
    path("ambassadeur/hulpvragen/<int:pk>/oppakken/", views.request_claim, name="request-claim"),
    path("ambassadeur/gesprekken/", views.conversation_list, name="conversation-list"),
    path("ambassadeur/gesprekken/nieuw/", views.conversation_create, name="conversation-create"),
    path("ambassadeur/gesprekken/<int:pk>/", views.conversation_detail, name="conversation-detail"),
    path(
        "ambassadeur/gesprekken/<int:pk>/wijzigen/",
        views.conversation_edit,
        name="conversation-edit",
    ),
    path(
        "ambassadeur/gesprekken/<int:pk>/vervolg-gedaan/",
        views.conversation_follow_up_done,
        name="conversation-follow-up-done",
    ),
    # Coordinator: aggregates only
    path("beheer/gesprekken/", views.coordinator_figures, name="coordinator-figures"),
    path(
        "beheer/gesprekken/export.csv",
        views.coordinator_figures_export,
        name="coordinator-figures-export",
    ),
]
