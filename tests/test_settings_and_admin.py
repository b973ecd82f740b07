"""The admin is configuration only; production settings are safe and refuse to start unsafe."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from insats.cases.models import Case, CaseTransition
from insats.organisations.models import (
    CONFIG_LISTS,
    CrimeType,
    DischargeReason,
    InformationCategory,
    LegalReference,
    LifeArea,
    Organisation,
    Unit,
    User,
)
from insats.organisations.services import unit_copy_template_lists, unit_create
from insats.people.models import Guardian, Person

CASE_CONTENT_APPS = {"cases", "people", "consent"}

# --- The admin ------------------------------------------------------------------------------


def test_case_content_is_not_in_the_admin():
    registered = admin.site._registry
    for model in (Case, Person, Guardian, CaseTransition):
        assert model not in registered
    assert not [m for m in registered if m._meta.app_label in CASE_CONTENT_APPS]


def test_configuration_is_in_the_admin():
    expected = {
        Unit,
        LifeArea,
        CrimeType,
        InformationCategory,
        DischargeReason,
        LegalReference,
        Organisation,
        User,
    }
    assert expected <= set(admin.site._registry)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "test-password-123")


def config_of(unit) -> dict:
    """{model name: {code: (label, label_en, position, active)}} of a unit (None: template)."""
    return {
        model.__name__: {
            row.code: (row.label, row.label_en, row.position, row.active)
            for row in model.objects.filter(unit=unit)
        }
        for model in CONFIG_LISTS
    }


def assert_has_own_copy_of_templates(unit):
    template = config_of(None)
    own = config_of(unit)
    for model in CONFIG_LISTS:
        name = model.__name__
        assert template[name], f"no template rows for {name}"
        assert own[name] == template[name], name
    # A copy, not the template rows themselves.
    legal = LegalReference.objects.filter(unit=unit)
    assert legal.exists()
    assert set(legal.values_list("kind", flat=True)) == set(
        LegalReference.objects.filter(unit=None).values_list("kind", flat=True)
    )


def test_unit_added_in_the_admin_gets_its_own_template_lists(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:organisations_unit_add"),
        {
            "name": "Gamma stadsdel",
            "municipality": "Gammakommun",
            "case_prefix": "G",
            "target_age_min": "15",
            "target_age_max": "21",
            "contact_review_months": "12",
            "_save": "Spara",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(name="Gamma stadsdel")
    assert_has_own_copy_of_templates(unit)


def test_editing_a_unit_in_the_admin_does_not_copy_again(client, superuser):
    unit = unit_create(name="Delta", municipality="Deltakommun")
    LifeArea.objects.filter(unit=unit, code="housing").update(label="Bostad")
    LifeArea.objects.filter(unit=unit, code="other").delete()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:organisations_unit_change", args=[unit.pk]),
        {
            "name": "Delta",
            "municipality": "Deltakommun",
            "case_prefix": "D",
            "target_age_min": "15",
            "target_age_max": "25",
            "contact_review_months": "12",
            "_save": "Spara",
        },
    )
    assert response.status_code == 302
    assert LifeArea.objects.get(unit=unit, code="housing").label == "Bostad"
    assert not LifeArea.objects.filter(unit=unit, code="other").exists()


def test_unit_create_gives_the_unit_its_own_template_lists(db):
    unit = unit_create(name="Epsilon", municipality="Epsilonkommun")
    assert_has_own_copy_of_templates(unit)


def test_a_units_lists_are_its_own(db):
    first = unit_create(name="Zeta", municipality="Z")
    second = unit_create(name="Eta", municipality="E")
    LifeArea.objects.filter(unit=first, code="housing").update(label="Ändrat boende")
    DischargeReason.objects.filter(unit=first, code="moved").delete()

    assert LifeArea.objects.get(unit=second, code="housing").label == "Boende"
    assert LifeArea.objects.get(unit=None, code="housing").label == "Boende"
    assert DischargeReason.objects.filter(unit=second, code="moved").exists()
    assert DischargeReason.objects.filter(unit=None, code="moved").exists()


def test_copying_template_lists_is_idempotent(db):
    unit = unit_create(name="Theta", municipality="T")
    before = config_of(unit)
    unit_copy_template_lists(unit=unit)
    assert config_of(unit) == before


def test_data_migration_loaded_the_template_lists(db):
    def codes(model):
        return set(model.objects.filter(unit=None).values_list("code", flat=True))

    assert {"housing", "economy", "criminality"} <= codes(LifeArea)
    assert "goals_met" in codes(DischargeReason)
    # SPEC §5: a consent covers at least health, occupation, economy, criminality.
    assert {"health", "occupation", "economy", "criminality"} <= codes(InformationCategory)
    assert codes(CrimeType)
    kinds = set(LegalReference.objects.filter(unit=None).values_list("kind", flat=True))
    assert LegalReference.Kind.DISCLOSURE in kinds
    assert LegalReference.Kind.CONSENT in kinds
    assert all(label for label in LifeArea.objects.values_list("label", flat=True))


def test_admin_is_closed_to_users_without_staff_status(client, unit_a):
    # A system administrator by role still needs Django staff status for the admin.
    client.force_login(unit_a.administrator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_admin_pages_render_for_a_superuser(client, superuser, unit_a):
    client.force_login(superuser)
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url


# --- Settings -------------------------------------------------------------------------------


def clean_env(**overrides) -> dict:
    """A process environment with none of the settings' variables set (the test settings put
    some into os.environ), plus `overrides`."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(overrides)
    return env


def production_env(**overrides) -> dict:
    return clean_env(
        DJANGO_SETTINGS_MODULE="insats.settings",
        SECRET_KEY=secrets.token_urlsafe(45)[:60],
        ALLOWED_HOSTS="example.org",
        **overrides,
    )


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def test_check_deploy_has_no_warnings_in_production():
    env = production_env()
    assert len(env["SECRET_KEY"]) == 60
    result = run(CHECK_DEPLOY, env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_load_without_secret_key_when_debug_is_off():
    env = clean_env(DJANGO_SETTINGS_MODULE="insats.settings", ALLOWED_HOSTS="example.org")
    result = run(["-c", "import insats.settings"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_settings_load_without_secret_key_in_debug_demo():
    env = clean_env(DJANGO_SETTINGS_MODULE="insats.settings", DEBUG="1")
    result = run(
        ["-c", "import insats.settings as s; assert s.DEBUG and s.SECRET_KEY; print('ok')"], env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
