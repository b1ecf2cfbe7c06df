from django.urls import path

from leerrekening import views

app_name = "leerrekening"

urlpatterns = [
    path("mijn-leerrekening/", views.dashboard, name="dashboard"),
    path("opleider/", views.provider_start, name="provider-start"),
]
