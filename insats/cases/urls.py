from django.urls import path

from insats.casework.urls import case_urlpatterns as casework_urlpatterns
from insats.consent.urls import case_urlpatterns
from insats.decisions.urls import case_urlpatterns as decision_urlpatterns
from insats.investigation.urls import case_urlpatterns as investigation_urlpatterns
from insats.plans.urls import case_urlpatterns as plan_urlpatterns
from insats.risk.urls import case_urlpatterns as risk_urlpatterns

from . import views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("ny/", views.case_create, name="case_create"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/personal/", views.case_assign, name="case_assign"),
    path("<int:pk>/identifiera/", views.case_identify, name="case_identify"),
    path(
        "<int:pk>/identifiera/befintlig/",
        views.case_identify_existing,
        name="case_identify_existing",
    ),
    path("<int:pk>/steg/<slug:to_state>/", views.case_transition, name="case_transition"),
    *case_urlpatterns,
    *investigation_urlpatterns,
    *risk_urlpatterns,
    *decision_urlpatterns,
    *plan_urlpatterns,
    *casework_urlpatterns,
]
