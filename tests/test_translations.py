"""The English catalogue: complete, compiled, in step with the code, and used by the pages.

The interface is written in Swedish (the msgids) and translated into English in
insats/locale/en/LC_MESSAGES/django.po. After changing user-facing text, run `make messages`,
translate the new entries, and run `make messages` again to compile django.mo.
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "insats"
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
FIX = "Run `make messages`, translate the new entries in {po}, then run `make messages` again."

# Translations that are spelt the same in Swedish and English. Anything else that is left
# identical to its msgid is taken to be a Swedish text copied into msgstr by mistake.
SAME_IN_BOTH = {
    "%(what)s: %(before)s → %(after)s",
    "Administration",
    "Alias",
    "alias",
    "Form",
    "form",
    "Instrument",
    "instrument",
    "Motivation",
    "organisation",
    "Organisation",
    "Partner",
    "PDF",
    "person",
    "Person",
    "Status",
    "text",
    "Version",
    "version",
    "Version %(number)s",
    "version %(number)s",
    "Version %(version)s",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def parse_po(text: str) -> tuple[dict, list[dict]]:
    """A tiny .po reader: (header fields, entries). Obsolete (#~) entries are left out."""
    header: dict = {}
    entries: list[dict] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry: dict = {"msgctxt": None, "msgid_plural": None, "msgstr": {}, "flags": set()}
        target = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#") or not line.strip():
                continue
            keyword = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
            if keyword:
                name, index, value = keyword.groups()
                target = ("msgstr", int(index or 0)) if name.startswith("msgstr") else (name, None)
                chunk = ast.literal_eval(value)
            elif line.startswith('"') and target:
                chunk = ast.literal_eval(line)
            else:
                raise ValueError(f"Unreadable line in {PO.name}: {line!r}")
            name, index = target
            if name == "msgstr":
                entry["msgstr"][index] = entry["msgstr"].get(index, "") + chunk
            else:
                entry[name] = (entry.get(name) or "") + chunk
        if "msgid" not in entry:
            continue
        if entry["msgid"] == "" and entry["msgctxt"] is None:
            header = dict(
                line.split(": ", 1) for line in entry["msgstr"].get(0, "").splitlines() if line
            )
            header["flags"] = entry["flags"]
            continue
        entries.append(entry)
    return header, entries


def key(entry: dict) -> tuple:
    return (entry["msgctxt"], entry["msgid"], entry["msgid_plural"])


def label(entry: dict) -> str:
    return repr(entry["msgid"]) + (f" (context {entry['msgctxt']!r})" if entry["msgctxt"] else "")


def require_tools(*names: str) -> list[str]:
    """GNU gettext is part of the machine; CI must have it, elsewhere its absence skips.

    Returns the tools' full paths.
    """
    found = [shutil.which(name) for name in names]
    missing = [name for name, path in zip(names, found, strict=True) if path is None]
    if not missing:
        return found
    message = f"GNU gettext is not installed (missing: {', '.join(missing)})"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def catalogue() -> tuple[dict, list[dict]]:
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _reset_language():
    """Requests activate a language for the thread; do not let English leak into other tests."""
    yield
    translation.deactivate()


# --- (a) The catalogue is complete and well-formed ------------------------------------------


def test_catalogue_is_english_with_two_plural_forms(catalogue):
    header, entries = catalogue
    assert header.get("Language") == "en"
    assert header.get("Plural-Forms", "").startswith("nplurals=2;")
    assert "fuzzy" not in header["flags"]
    assert len(entries) > 100


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    _, entries = catalogue
    problems = []
    for entry in entries:
        forms = [0, 1] if entry["msgid_plural"] is not None else [0]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {label(entry)}")
        if any(not entry["msgstr"].get(form, "").strip() for form in forms):
            problems.append(f"untranslated: {label(entry)}")
    assert not problems, "\n".join([FIX.format(po=PO.relative_to(ROOT)), *problems])


def test_translations_keep_placeholders_and_are_not_swedish(catalogue):
    _, entries = catalogue
    problems = []
    for entry in entries:
        pairs = [(entry["msgid"], entry["msgstr"].get(0, ""))]
        if entry["msgid_plural"] is not None:
            pairs.append((entry["msgid_plural"], entry["msgstr"].get(1, "")))
        for source, target in pairs:
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(target)):
                problems.append(f"placeholders differ: {source!r} -> {target!r}")
            if re.search("[åäöÅÄÖ]", target):
                problems.append(f"Swedish letters in the translation: {source!r} -> {target!r}")
            if target == source and source not in SAME_IN_BOTH:
                problems.append(f"left in Swedish: {source!r} (or add it to SAME_IN_BOTH)")
    assert not problems, "\n".join(problems)


def test_msgfmt_check_passes():
    [msgfmt] = require_tools("msgfmt")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [msgfmt, "--check", "--statistics", "-o", os.devnull, str(PO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


def test_compiled_catalogue_matches_the_po_file(catalogue):
    """django.mo is what Django reads: it must hold exactly what django.po says."""
    _, entries = catalogue
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing. " + FIX.format(po=PO.name)
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        context, msgid, plural = key(entry)
        if plural is None:
            got = [
                compiled.pgettext(context, msgid) if context else compiled.gettext(msgid),
            ]
            want = [entry["msgstr"].get(0)]
        else:
            got = [
                compiled.npgettext(context, msgid, plural, n)
                if context
                else compiled.ngettext(msgid, plural, n)
                for n in (1, 2)
            ]
            want = [entry["msgstr"].get(0), entry["msgstr"].get(1)]
        if got != want:
            stale.append(f"{label(entry)}: compiled {got!r}, po {want!r}")
    assert not stale, "django.mo is out of date; run `make messages`.\n" + "\n".join(stale)


# --- (b) The catalogue is in step with the code ---------------------------------------------


def test_every_marked_string_in_the_code_has_a_translation(tmp_path, catalogue):
    """Extract the messages afresh from a copy of the package and compare with django.po.

    Fails when a `{% translate %}`, `{% blocktranslate %}` or `_()` text was added or changed
    without an English translation.
    """
    require_tools("xgettext", "msgmerge", "msguniq", "msgattrib")
    copy = tmp_path / "insats"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "locale", "static"),
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale=en",
            "--no-obsolete",
            "--settings=insats.settings_test",
            f"--pythonpath={tmp_path}",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    fresh_po = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    assert result.returncode == 0 and fresh_po.exists(), result.stdout + result.stderr
    _, fresh = parse_po(fresh_po.read_text(encoding="utf-8"))
    assert fresh, "makemessages found no messages at all"

    _, entries = catalogue
    translated = {
        key(entry)
        for entry in entries
        if "fuzzy" not in entry["flags"] and all(text.strip() for text in entry["msgstr"].values())
    }
    missing = [label(entry) for entry in fresh if key(entry) not in translated]
    assert not missing, "\n".join(
        ["Marked strings without an English translation:", *missing, FIX.format(po=PO.name)]
    )


# --- (c) Pages render in the requested language ---------------------------------------------


@pytest.mark.django_db
def test_login_page_in_english_by_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/logga-in/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Username" in page
    assert "Password" in page
    assert "Logga in" not in page
    assert "Användarnamn" not in page


@pytest.mark.django_db
def test_login_page_in_swedish_whatever_the_browser_prefers(client):
    for headers in ({"HTTP_ACCEPT_LANGUAGE": "sv"}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en"}, {}):
        response = client.get("/logga-in/", **headers)
        page = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="sv">' in page
        assert "Logga in" in page
        assert "Användarnamn" in page
        assert "Log in" not in page


@pytest.mark.django_db
def test_language_cookie_wins_over_accept_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/logga-in/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Log in" in page
    assert "Logga in" not in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    page = client.get("/logga-in/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Logga in" in page
    assert "Log in" not in page


@pytest.mark.django_db
def test_signed_in_pages_in_english(unit_a, login):
    client = login(unit_a.coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    case = unit_a.case()
    start = client.get("/").content.decode()
    assert "Register intake" in start
    assert "Cases by stage" in start
    assert "Registrera aktualisering" not in start
    detail = client.get(f"/arenden/{case.pk}/").content.decode()
    assert "Back to cases" in detail
    assert "Next step" in detail
    assert "Tillbaka till ärenden" not in detail


# --- (d) The language switch ----------------------------------------------------------------


@pytest.mark.django_db
def test_language_switch_sets_the_cookie_and_the_next_page_is_english(client):
    page = client.get("/logga-in/").content.decode()
    assert 'name="language" value="en"' in page

    response = client.post("/sprak/", {"language": "en", "next": "/logga-in/"})
    assert response.status_code == 302
    assert response.url == "/logga-in/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    page = client.get(response.url).content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Logga in" not in page
    assert 'name="language" value="sv"' in page  # the switch now offers Swedish

    response = client.post("/sprak/", {"language": "sv", "next": "/logga-in/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert "Logga in" in client.get("/logga-in/").content.decode()
