from .views import measures, plan

case_urlpatterns = [*plan.case_urlpatterns, *measures.case_urlpatterns]
urlpatterns = [*plan.urlpatterns, *measures.urlpatterns]
