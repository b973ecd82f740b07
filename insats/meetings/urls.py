from .views import agenda, deviations, groups, meetings

urlpatterns = [
    *groups.urlpatterns,
    *meetings.urlpatterns,
    *agenda.urlpatterns,
    *deviations.urlpatterns,
]
