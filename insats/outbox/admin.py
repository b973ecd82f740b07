"""The outbox, read only: what is waiting, what failed and why. The text of a message (it
names cases and people) is not shown; a failed message is resent by the operator setting it
back with `manage.py deliver_outbox --retry-failed`."""

from django.contrib import admin

from .models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "last_error",
    ]
    list_filter = ["status"]
    search_fields = ["key"]
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
