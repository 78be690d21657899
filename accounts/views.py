from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse

from outbox.models import Delivery

from .forms import ClinicPasswordResetForm, LoginForm, StaffAddForm, StaffEditForm
from .models import User
from .selectors import locked_out, staff_with_failed_logins
from .services import account_unlock, password_email_create, staff_create, staff_update
from .tenancy import clinic_get, clinic_required, owner_required


@clinic_required
def home(request):
    return redirect("appointments:day")


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The backend refuses demo accounts with DEBUG off, so only advertise them with it on.
        context["show_demo_logins"] = settings.DEBUG and User.objects.filter(is_demo=True, is_active=True).exists()
        return context


class PasswordResetView(auth_views.PasswordResetView):
    # The form puts the email in the outbox (ClinicPasswordResetForm.save); its link is
    # built from SITE_URL when it is sent, never from the request's Host header.
    form_class = ClinicPasswordResetForm


@owner_required
def staff_list(request):
    staff = list(staff_with_failed_logins(clinic=request.clinic))
    return render(request, "accounts/staff_list.html", {"staff": staff, "locked": locked_out(staff)})


@owner_required
def staff_unlock(request, pk: int):
    """Lift a login lockout on one of the clinic's accounts before it lifts by itself."""
    member = clinic_get(User, request.clinic, pk=pk)
    if request.method == "POST":
        account_unlock(user=member)
        messages.success(request, f"{member} can log in again.")
    return redirect("staff_list")


@owner_required
def staff_add(request):
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = staff_create(
                clinic=request.clinic,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                password=form.password,
            )
            if form.password is None:
                # Sent once the account is really there: a rolled-back user gets no email.
                password_email_create(user=user, kind=Delivery.Kind.STAFF_INVITATION)
        if form.password is None:
            messages.success(request, f"{user} was added. We emailed {user.email} a link to choose a password.")
        else:
            messages.success(
                request, f"{user} was added. Tell them their username ({user.username}) and first password."
            )
        return redirect("staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "adding": True})


@owner_required
def staff_edit(request, pk: int):
    member = clinic_get(User, request.clinic, pk=pk)
    form = StaffEditForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_update(
                user=member,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                is_active=data["is_active"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{member}'s details were saved.")
            if member.pk == request.user.pk and not member.is_owner:
                # They just handed over ownership; the staff pages are no longer theirs.
                return redirect(reverse("home"))
            return redirect("staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "adding": False, "member": member})


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)
