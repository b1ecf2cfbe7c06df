from django.urls import path

from ambassadeurs import views

app_name = "ambassadeurs"

urlpatterns = [
    path("ambassadeur/", views.start, name="start"),
]
