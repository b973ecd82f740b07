"""Admin for configuration only: units, lists, organisations, users. No case content here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    CONFIG_LISTS,
    LegalReference,
    Membership,
    Organisation,
    Unit,
    User,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "target_age_min", "target_age_max"]
    search_fields = ["name", "municipality"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.unit_copy_template_lists(unit=obj)


class ConfigItemAdmin(admin.ModelAdmin):
    list_display = ["label", "label_en", "code", "unit", "position", "active"]
    list_filter = ["unit", "active"]
    list_editable = ["position", "active"]
    search_fields = ["label", "label_en", "code"]


for model in CONFIG_LISTS:
    if model is not LegalReference:
        admin.site.register(model, ConfigItemAdmin)


@admin.register(LegalReference)
class LegalReferenceAdmin(ConfigItemAdmin):
    list_display = ["label", "kind", "code", "unit", "position", "active"]
    list_filter = ["unit", "kind", "active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit"]
    list_filter = ["unit", "kind"]
    search_fields = ["name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kontakt"), {"fields": ("phone",)}),
    )
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
