from django.urls import path

from . import views_export

urlpatterns = [
    path("", views_export.export_page, name="statistics_export"),
]
