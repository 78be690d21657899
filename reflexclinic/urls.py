from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from reflexclinic.health import health


def favicon(request):
    # The static name is looked up per request: with hashed names (production) the manifest
    # exists only after collectstatic, not whenever the URLconf is imported.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


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
    # Public: a practitioner's calendar feed, opened by the secret in its address.
    path("feeds/", include("appointments.feed_urls")),
    path("c/", include("booking.change_urls")),
    path("booking/", include("booking.urls")),
    path("book/", include("booking.public_urls")),
    path("intake/", include("intake.urls")),
    # The client's intake page, from the link in their email (no login).
    path("i/", include("intake.public_urls")),
    path("reports/", include("reports.urls")),
    path("audit/", include("audit_pages.urls")),
    path("attention/", include("attention.urls")),
    path("permission/", include("permission.urls")),
    path("privacy/", include("privacy.urls")),
    # Pages without a <link rel="icon"> (the email preview) make browsers ask for this.
    path("favicon.ico", favicon),
]

handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
handler400 = "accounts.views.bad_request"
handler403 = "accounts.views.permission_denied"
