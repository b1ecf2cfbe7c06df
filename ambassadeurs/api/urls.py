from django.urls import path

from ambassadeurs.api import views

urlpatterns = [
    path("ambassador/requests/", views.RequestListApi.as_view(), name="ambassador-requests"),
    path(
        "ambassador/requests/<int:request_id>/claim/",
        views.RequestClaimApi.as_view(),
        name="ambassador-request-claim",
    ),
    path(
        "ambassador/conversations/",
        views.ConversationApi.as_view(),
        name="ambassador-conversations",
    ),
]
