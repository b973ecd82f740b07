from django.urls import path

from . import views

case_urlpatterns = [
    path("<int:pk>/beslut/", views.decision_list, name="decision_list"),
    path("<int:pk>/beslut/fortsatt-utredning/", views.decision_continue, name="decision_continue"),
    path("<int:pk>/beslut/inskrivning/", views.decision_enrol, name="decision_enrol"),
    path("<int:pk>/beslut/omprovning/", views.decision_reexamine, name="decision_reexamine"),
    path("<int:pk>/beslut/ateroppna/", views.decision_reopen, name="decision_reopen"),
    path("<int:pk>/beslut/<int:decision_pk>/beslut.pdf", views.decision_pdf, name="decision_pdf"),
    path("<int:pk>/uppfoljningsbedomning/", views.follow_up_list, name="follow_up_list"),
    path("<int:pk>/uppfoljningsbedomning/ny/", views.follow_up_create, name="follow_up_create"),
    path(
        "<int:pk>/uppfoljningsbedomning/<int:record_pk>/",
        views.follow_up_detail,
        name="follow_up_detail",
    ),
    path(
        "<int:pk>/uppfoljningsbedomning/<int:record_pk>/andra/",
        views.follow_up_edit,
        name="follow_up_edit",
    ),
]
