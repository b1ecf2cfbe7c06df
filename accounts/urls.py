from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    # Under /account/: open to anyone with the link, whatever their two-step state.
    path("account/dit-was-ik-niet/<str:token>/", views.account_freeze, name="account-freeze"),
    path("opleider/api-sleutels/", views.provider_api_keys, name="provider-api-keys"),
    path(
        "opleider/api-sleutels/<int:key_id>/intrekken/",
        views.provider_api_key_revoke,
        name="provider-api-key-revoke",
    ),
]
