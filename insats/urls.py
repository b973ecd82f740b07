from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from insats.access.decorators import PUBLIC, SIGNED_IN, access_policy
from insats.consent import views as consent_views
from insats.core import errors, health, metrics
from insats.core import views as core_views
from insats.core.forms import LoginForm
from insats.decisions import views as decision_views

admin.site.site_header = _("Insats – administration")
admin.site.site_title = "Insats"

login_view = access_policy(PUBLIC)(
    auth_views.LoginView.as_view(
        template_name="core/login.html",
        authentication_form=LoginForm,
        redirect_authenticated_user=True,
    )
)
logout_view = access_policy(SIGNED_IN)(auth_views.LogoutView.as_view())

urlpatterns = [
    path("", core_views.start, name="start"),
    path("logga-in/", login_view, name="login"),
    path("logga-ut/", logout_view, name="logout"),
    path("sprak/", access_policy(PUBLIC)(set_language), name="set_language"),
    path("halsa/", health.liveness, name="health"),
    path("halsa/redo/", health.readiness, name="readiness"),
    path("metriker/", metrics.metrics, name="metrics"),
    path("arenden/", include("insats.cases.urls")),
    path("personer/", include("insats.people.urls")),
    path("utlamnanden/", consent_views.disclosure_register, name="disclosure_register"),
    path("logg/", include("insats.access.urls")),
    path("arbetsledning/", decision_views.supervision, name="supervision"),
    path("", include("insats.plans.urls")),
    path("", include("insats.casework.urls")),
    path("", include("insats.meetings.urls")),
    path("statistik/export/", include("insats.reporting.urls_export")),
    path("statistik/", include("insats.reporting.urls")),
    path("personalsakerhet/", include("insats.staffsafety.urls")),
    path("admin/", admin.site.urls),
]

# Renders without the database and shows the request id for support.
handler500 = errors.server_error
