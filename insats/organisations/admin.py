"""Admin for configuration only: units, lists, organisations, users. No case content here."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.forms.models import BaseInlineFormSet
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

    def get_readonly_fields(self, request, obj=None):
        # Moving an organisation to another unit would move every role in it there too,
        # unlogged: a new unit means a new organisation.
        return ["unit"] if obj is not None else []


class MembershipFormSet(BaseInlineFormSet):
    """Refuses any new or changed role on the requesting user's own account."""

    request_user = None  # set per request by MembershipInline.get_formset

    def clean(self):
        super().clean()
        own = self.request_user is not None and self.instance.pk == self.request_user.pk
        if own and any(form.has_changed() for form in self.forms):
            raise services.self_grant_error()


class MembershipInline(admin.TabularInline):
    """Roles are ended (untick "aktiv"), never deleted: the log and history keep naming them."""

    model = Membership
    formset = MembershipFormSet
    extra = 0
    can_delete = False
    autocomplete_fields = ["organisation"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request_user = request.user  # a fresh class per call, so per request
        return formset


PRIVILEGE_FIELDS = (*services.PRIVILEGE_FLAGS, *services.PRIVILEGE_RELATIONS)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts and their roles. Every change of a role or privilege goes through the services,
    so it is logged and can never be made to one's own account; accounts are deactivated, not
    deleted."""

    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kontakt"), {"fields": ("phone",)}),
    )
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        if obj is None or obj.pk != request.user.pk:
            return form_class

        class OwnAccountForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if set(self.changed_data) & set(PRIVILEGE_FIELDS):
                    raise services.self_grant_error()
                return cleaned

        return OwnAccountForm

    def save_model(self, request, obj, form, change):
        if change:
            # Privileges are written by the service in save_related, after the inlines.
            stored = User.objects.get(pk=obj.pk)
            for name in services.PRIVILEGE_FLAGS:
                setattr(obj, name, getattr(stored, name))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        wanted = {
            name: form.cleaned_data.pop(name)
            for name in PRIVILEGE_FIELDS
            if name in form.cleaned_data
        }
        super().save_related(request, form, formsets, change)
        if wanted:
            services.user_set_privileges(by=request.user, user=form.instance, **wanted)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        for membership in formset.save(commit=False):
            values = {name: getattr(membership, name) for name in services.MEMBERSHIP_FIELDS}
            if membership.pk is None:
                services.membership_grant(by=request.user, user=form.instance, **values)
            else:
                services.membership_change(by=request.user, membership=membership, **values)

    def user_change_password(self, request, id, form_url=""):
        # Setting someone else's password is a way into their account and their grounds: the
        # log review lists it beside the role grants.
        with transaction.atomic():
            user = self.get_object(request, unquote(id))  # None for an unknown or bad id
            response = super().user_change_password(request, id, form_url)
            if user is not None:
                before = user.password
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    services.user_password_changed(by=request.user, user=user)
        return response

    @admin.action(description=_("Avaktivera valda användare (avslutar deras inloggningar)"))
    def deactivate(self, request, queryset):
        done = 0
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(
                    request, _("Du kan inte avaktivera ditt eget konto."), messages.ERROR
                )
                continue
            services.user_deactivate(by=request.user, user=user)
            done += 1
        if done:
            self.message_user(request, _("%(count)s användare avaktiverades.") % {"count": done})
