"""TODO"""

case_urlpatterns = []
urlpatterns = []
