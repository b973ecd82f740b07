from django.urls import path

from . import views

case_urlpatterns = [
    path("<int:pk>/samtycken/nytt/", views.consent_create, name="consent_create"),
    path("<int:pk>/samtycken/blankett.pdf", views.consent_blank_pdf, name="consent_blank_pdf"),
    path("<int:pk>/samtycken/<int:consent_pk>/", views.consent_detail, name="consent_detail"),
    path(
        "<int:pk>/samtycken/<int:consent_pk>/aterkalla/",
        views.consent_revoke,
        name="consent_revoke",
    ),
    path(
        "<int:pk>/samtycken/<int:consent_pk>/samtycke.pdf",
        views.consent_pdf,
        name="consent_pdf",
    ),
    path(
        "<int:pk>/samtycken/<int:consent_pk>/skanning/",
        views.consent_scan_upload,
        name="consent_scan_upload",
    ),
    path(
        "<int:pk>/samtycken/<int:consent_pk>/skanning/hamta/",
        views.consent_scan_download,
        name="consent_scan_download",
    ),
    path("<int:pk>/grupp/", views.members, name="case_members"),
    path("<int:pk>/grupp/<int:member_pk>/ta-bort/", views.member_remove, name="member_remove"),
    path("<int:pk>/utlamnanden/nytt/", views.disclosure_create, name="disclosure_create"),
]
