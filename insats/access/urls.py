from django.urls import path

from . import views

urlpatterns = [
    path("", views.log_list, name="log_list"),
    path("<int:entry_pk>/markera/", views.log_flag, name="log_flag"),
    path("granskningar/ny/", views.review_create, name="log_review_create"),
]
