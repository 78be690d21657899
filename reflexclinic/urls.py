from django.contrib import admin
from django.urls import include, path

from reflexclinic.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    # Public, for load balancers and monitors: reflexclinic/health.py.
    path("health/", health, name="health"),
    path("", include("accounts.urls")),
    path("clients/", include("clients.urls")),
    path("appointments/", include("appointments.urls")),
    path("sessions/", include("sessions.urls")),
    path("routines/", include("routines.urls")),
    path("r/", include("routines.checkin_urls")),
    path("reports/", include("reports.urls")),
    path("privacy/", include("privacy.urls")),
]

handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
handler400 = "accounts.views.bad_request"
handler403 = "accounts.views.permission_denied"
