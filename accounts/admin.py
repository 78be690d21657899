from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Clinic, User


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "email", "phone", "created_at"]
    list_filter = ["timezone"]
    search_fields = ["name", "slug", "email", "phone"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "created_at"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "clinic",
        "role",
        "is_active",
        "is_demo",
        "last_login",
    ]
    list_filter = ["clinic", "role", "is_active", "is_demo", "is_staff", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "email", "clinic__name"]
    list_select_related = ["clinic"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Clinic", {"fields": ["clinic", "role", "is_demo"]}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Clinic", {"fields": ["clinic", "role", "first_name", "last_name", "email"]}),
    )
