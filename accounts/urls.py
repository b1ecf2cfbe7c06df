from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("opleider/api-sleutels/", views.provider_api_keys, name="provider-api-keys"),
    path(
        "opleider/api-sleutels/<int:key_id>/intrekken/",
        views.provider_api_key_revoke,
        name="provider-api-key-revoke",
    ),
]
