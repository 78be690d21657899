from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from outbox.models import Delivery

from . import twofactor
from .forms import (
    ClinicPasswordResetForm,
    ClinicSettingsForm,
    LoginForm,
    StaffAddForm,
    StaffEditForm,
    TwoFactorCodeForm,
)
from .models import User
from .ratelimit import attempt_allowed
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


PASSWORD_RESET_LIMITED = (
    "You have asked for several links in a short time. If this address belongs to a staff account, "
    "a link is on its way: check your inbox and spam folder. You can ask again in {minutes} minutes."
)


class PasswordResetView(auth_views.PasswordResetView):
    # The form puts the email in the outbox (ClinicPasswordResetForm.save); its link is
    # built from SITE_URL when it is sent, never from the request's Host header.
    form_class = ClinicPasswordResetForm

    def form_valid(self, form):
        # Counted for every address typed, known or not, so the limit reveals nothing either.
        email = form.cleaned_data["email"].strip().lower()
        window = settings.PASSWORD_RESET_LIMIT_WINDOW_SECONDS
        by_email = attempt_allowed(
            scope="reset-email", key=email, limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL, window_seconds=window
        )
        by_address = attempt_allowed(
            scope="reset-ip",
            key=self.request.META.get("REMOTE_ADDR", ""),
            limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            window_seconds=window,
        )
        if not (by_email and by_address):
            form.add_error(None, PASSWORD_RESET_LIMITED.format(minutes=window // 60))
            return self.form_invalid(form)
        return super().form_valid(form)


def _next_or_home(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@login_required
def two_factor_verify(request):
    """The second step of signing in, for whoever has an authenticator app (accounts.twofactor)."""
    if request.session.get(twofactor.SESSION_KEY) != twofactor.VERIFY:
        return redirect(_next_or_home(request))
    if twofactor.locked_out(request, request.user):
        credentials = {"username": request.user.get_username()}
        logout(request)
        return get_lockout_response(request, credentials=credentials)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.code_check(request=request, user=request.user, token=form.cleaned_data["code"]):
            twofactor.step_done(request)
            return redirect(_next_or_home(request))
        form.add_error("code", "That code did not work. Enter the code your app shows now, or a recovery code.")
    context = {"form": form, "next": request.GET.get("next", "")}
    return render(request, "registration/two_factor_verify.html", context)


@login_required
def two_factor_enrol(request):
    """Set up an authenticator app: scan the QR code, enter a code it shows, keep the recovery
    codes. Forced at sign-in when the clinic requires it, or chosen from the security page."""
    form = TwoFactorCodeForm(request.POST or None)
    device = twofactor.pending_totp_device(request.user) if request.method == "POST" else None
    if device is not None and form.is_valid():
        codes = twofactor.totp_device_confirm(device=device, token=form.cleaned_data["code"])
        if codes is not None:
            if request.session.get(twofactor.SESSION_KEY):
                twofactor.step_done(request)
            context = {"codes": codes, "next": _next_or_home(request)}
            return render(request, "registration/two_factor_codes.html", context)
        form.add_error("code", "That code did not match. Check the app's clock, then enter the code it shows now.")
    if device is None:
        device = twofactor.totp_device_start(user=request.user)
        if request.method == "POST":
            form = TwoFactorCodeForm()
            messages.error(request, "The set-up had expired. Scan this new code with your app.")
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_text(device),
        "forced": request.session.get(twofactor.SESSION_KEY) == twofactor.ENROL,
        "next": request.GET.get("next") or request.POST.get("next", ""),
    }
    return render(request, "registration/two_factor_enrol.html", context)


@clinic_required
def account_security(request):
    """The signed-in person's own two-factor sign-in: status, new recovery codes, turn off."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "recovery_codes" and twofactor.has_two_factor(user):
            codes = twofactor.recovery_codes_create(user=user)
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": reverse("security")})
        if action == "turn_off" and not twofactor.clinic_requires_two_factor(user):
            twofactor.two_factor_remove(user=user)
            messages.success(request, "Two-factor sign-in is off. You log in with your password only.")
        return redirect("security")
    context = {
        "enabled": twofactor.has_two_factor(user),
        "required": twofactor.clinic_requires_two_factor(user),
        "codes_left": twofactor.recovery_codes_left(user),
    }
    return render(request, "accounts/security.html", context)


@owner_required
def clinic_settings(request):
    form = ClinicSettingsForm(request.POST or None, instance=request.clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "The clinic's sign-in settings were saved.")
        return redirect("clinic_settings")
    return render(request, "accounts/clinic_settings.html", {"form": form})


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
