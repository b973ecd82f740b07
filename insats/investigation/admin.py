"""Admin for the investigation's configuration: the units' information letters (bilaga 3.0).

No case content here. A letter that has been handed over is kept as it was: to change the
text, add a new version (saving it as used retires the unit's earlier versions).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import InformationLetter


@admin.register(InformationLetter)
class InformationLetterAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "version", "active", "created_at"]
    list_filter = ["unit", "active"]
    search_fields = ["title", "version", "unit__name"]
    ordering = ["unit__name", "-created_at", "-pk"]
    list_select_related = ["unit"]
    fields = ["unit", "version", "title", "body", "active", "created_at"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.handovers.exists():
            fields += ["unit", "version", "title", "body"]
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.active:
            retired = (
                InformationLetter.objects.filter(unit_id=obj.unit_id, active=True)
                .exclude(pk=obj.pk)
                .update(active=False)
            )
            if retired:
                self.message_user(
                    request,
                    _("Enhetens tidigare versioner av brevet används inte längre."),
                    messages.INFO,
                )
