from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="staff_safety"),
    path("samtal/nytt/", views.talk_create, name="safety_talk_create"),
    path("samtal/<int:talk_pk>/", views.talk_detail, name="safety_talk_detail"),
    path("samtal/<int:talk_pk>/andra/", views.talk_edit, name="safety_talk_edit"),
    path("samtal/<int:talk_pk>/underteckna/", views.talk_sign, name="safety_talk_sign"),
    path("samtal/<int:talk_pk>/delge/", views.talk_share, name="safety_talk_share"),
    path("samtal/<int:talk_pk>/pdf/", views.talk_print, name="safety_talk_pdf"),
    path("kompetens/<int:coordinator_pk>/", views.competence, name="competence"),
]
