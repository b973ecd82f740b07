from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/andra/", views.person_edit, name="person_edit"),
    path("<int:pk>/vardnadshavare/ny/", views.guardian_add, name="guardian_add"),
    path(
        "<int:pk>/vardnadshavare/<int:guardian_pk>/ta-bort/",
        views.guardian_remove,
        name="guardian_remove",
    ),
]
