"""Structured risk assessment pages, under arenden/<pk>/riskbedomning/."""

from django.urls import path

from . import views

case_urlpatterns = [
    path("<int:pk>/riskbedomning/", views.risk_list, name="risk_list"),
    path("<int:pk>/riskbedomning/ny/", views.risk_create, name="risk_create"),
    path("<int:pk>/riskbedomning/<int:record_pk>/", views.risk_detail, name="risk_detail"),
    path("<int:pk>/riskbedomning/<int:record_pk>/andra/", views.risk_edit, name="risk_edit"),
    path(
        "<int:pk>/riskbedomning/<int:record_pk>/riskbedomning.pdf",
        views.risk_pdf,
        name="risk_pdf",
    ),
]
