"""The action plan's pages: `case_urlpatterns` go under a case (arenden/<pk>/), `urlpatterns`
at the top level."""

from django.urls import path

from .views import measures, plan

case_urlpatterns = [
    path("<int:pk>/handlingsplan/", plan.plan_detail, name="plan_detail"),
    path("<int:pk>/handlingsplan/andra/", plan.plan_edit, name="plan_edit"),
    path("<int:pk>/handlingsplan/versioner/", plan.plan_revisions, name="plan_revisions"),
    path("<int:pk>/handlingsplan/jamfor/", plan.plan_compare, name="plan_compare"),
    path("<int:pk>/handlingsplan/handlingsplan.pdf", plan.plan_pdf, name="plan_pdf"),
    path(
        "<int:pk>/handlingsplan/atgard/<int:measure_pk>/rapport/",
        measures.measure_report,
        name="measure_report",
    ),
    path("<int:pk>/handlingsplan/uppfoljning/", measures.plan_follow_up, name="plan_follow_up"),
    path("<int:pk>/handlingsplan/uppfoljningar/", measures.plan_follow_ups, name="plan_follow_ups"),
]
urlpatterns = [
    path("mina-atgarder/", measures.my_measures, name="my_measures"),
]
