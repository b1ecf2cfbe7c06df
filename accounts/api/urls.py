from django.urls import path

from accounts.api import views

urlpatterns = [
    path("employer/employments/", views.EmploymentsApi.as_view(), name="employer-employments"),
]
