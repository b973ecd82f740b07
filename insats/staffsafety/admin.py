"""Admin for the checklists only (configuration). The talks and competence records are about
named staff and are kept through the staff-safety pages, where access is checked and logged."""

from django.contrib import admin

from insats.organisations.admin import ConfigItemAdmin

from .models import CompetenceItem, SafetyChecklistItem


@admin.register(SafetyChecklistItem)
class SafetyChecklistItemAdmin(ConfigItemAdmin):
    list_display = ["label", "checklist", "code", "unit", "position", "active"]
    list_filter = ["unit", "checklist", "active"]


@admin.register(CompetenceItem)
class CompetenceItemAdmin(ConfigItemAdmin):
    pass
