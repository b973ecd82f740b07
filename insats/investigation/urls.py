from .views import criminality, inventory, letter, police, resources, threat

case_urlpatterns = [
    *inventory.urlpatterns,
    *letter.urlpatterns,
    *police.urlpatterns,
    *criminality.urlpatterns,
    *resources.urlpatterns,
    *threat.urlpatterns,
]
