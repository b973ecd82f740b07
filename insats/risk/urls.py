"""TODO"""

case_urlpatterns = []
