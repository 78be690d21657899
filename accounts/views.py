from django.shortcuts import redirect, render

from .tenancy import clinic_required


@clinic_required
def home(request):
    return redirect("appointments:day")


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def not_built(request, *args, **kwargs):
    # Placeholder while the parallel work lands; replaced in each app's urls.py.
    return page_not_found(request)
