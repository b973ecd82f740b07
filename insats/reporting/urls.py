from django.urls import path

from . import views

urlpatterns = [
    path("", views.statistics_page, name="statistics"),
    path("rapport.pdf", views.statistics_pdf, name="statistics_pdf"),
]
