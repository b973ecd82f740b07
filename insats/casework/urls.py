from .views import economy, practical, returnees, reviews

case_urlpatterns = [
    *practical.case_urlpatterns,
    *economy.case_urlpatterns,
    *reviews.case_urlpatterns,
    *returnees.case_urlpatterns,
]
urlpatterns = [
    *practical.urlpatterns,
    *economy.urlpatterns,
    *reviews.urlpatterns,
    *returnees.urlpatterns,
]
