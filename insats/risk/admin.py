"""Risk instruments are configuration: administrators maintain them in the Django admin.

Item titles and scales are data (the shared default is the SAVRY structure with English
titles); a unit translates them or adds an instrument of its own. Assessments are case
content and are never shown here.
"""

from django import forms
from django.contrib import admin
from django.db import models

from .models import RiskInstrument, RiskItem


class RiskItemInline(admin.TabularInline):
    model = RiskItem
    extra = 0
    fields = ["position", "domain", "code", "title", "levels", "protective"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 16})}
    }


@admin.register(RiskInstrument)
class RiskInstrumentAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "age_min", "age_max", "active"]
    list_filter = ["unit", "active"]
    search_fields = ["name"]
    inlines = [RiskItemInline]
