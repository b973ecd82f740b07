"""The marker crawl's machinery (issue #13, DESIGN "marker crawl").

- `Markers`: a unique token (MRK0001 …) in every free-text field of the data set, each with the
  grounds on which someone may read it. The fields are found by walking the models, so a new
  model or field is covered (or fails loudly until it is classified in RULES).
- `Oracle`: who may read what, stated again from SPEC §5 in a few plain lines over the raw rows
  (memberships, case groups, consents, invitations). It deliberately does NOT call
  insats.access.policy: the point is to check the policy, not to repeat it.
- `Crawler`: follows every same-site link and GET form from the start page, fetches pages,
  PDFs, calendar files and exports, and reads the text out of each.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from time import perf_counter
from urllib.parse import urlencode, urljoin, urlsplit

from django.apps import apps
from django.db import models
from django.urls import Resolver404, resolve

TOKEN = re.compile(r"MRK(\d{4})", re.IGNORECASE)
SPACE = re.compile(r"\s+")

# Roles as stored (organisations.Role values), spelled out so the oracle stands on its own.
STAFF_ROLES = frozenset({"coordinator", "investigator", "supervisor"})
PARTNER_ROLE = "partner"
CLOSED_STATES = frozenset({"discharged", "declined", "withdrawn"})


# --- Grounds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ground:
    """One reason someone may read a marker.

    kind:
    - "staff": the unit's social-services staff (coordinator, investigator, supervisor);
    - "supervisors": the unit's supervisors (staff safety, log review);
    - "case": the case's unit staff, and a partner member of its group while a valid consent
      covers their organisation and `category` (None: the case's basics, any such consent);
    - "meeting": a general meeting — unit staff, and invitees/group members who still hold a
      role in the unit;
    - "deviation": unit staff, and the reporter while still a member of the unit;
    - "own": unit supervisors, and the user `ref` while staff of the unit (a safety talk);
    - "responsible": the user `ref`, responsible for a task, while a member of the unit (and,
      for a task about a case, while they may see that case);
    - "guest": someone without an account invited by e-mail to the meeting `ref` (its time,
      place and general part — never a case item); users read meetings on their own grounds.
    """

    kind: str
    unit_id: int
    case_id: int | None = None
    category: str | None = None
    ref: int | None = None


def staff(unit_id: int, case_id: int | None = None) -> list[Ground]:
    return [Ground("staff", unit_id, case_id)]


def about_case(case, category: str | None = None) -> list[Ground]:
    """Read under the case's consent rule; a life area without a category is staff-only."""
    if category == "":
        return staff(case.unit_id, case.pk)
    return [Ground("case", case.unit_id, case.pk, category)]


def of_meeting(meeting) -> list[Ground]:
    """A meeting about a case is read as the case; a general one by its invitees. Either way
    someone invited by e-mail without an account (a coach) reads the meeting itself."""
    guest = Ground("guest", meeting.unit_id, meeting.case_id, ref=meeting.pk)
    if meeting.case_id is not None:
        return [*about_case(meeting.case), guest]
    return [Ground("meeting", meeting.unit_id, ref=meeting.pk), guest]


def of_item(item) -> list[Ground]:
    """An agenda item about a case: whoever may see the case (SPEC §4: "the minutes of that
    item are visible only to them and to the case's social-services staff"); returnees: the
    unit's staff; the general part: whoever may see the meeting."""
    meeting = item.meeting
    if item.case_id is not None:
        return about_case(item.case)
    if item.part == "returnees":
        return staff(meeting.unit_id, meeting.case_id)
    if item.part == "general":
        return of_meeting(meeting)
    return staff(meeting.unit_id, meeting.case_id)


def of_task(task) -> list[Ground]:
    base = of_item(task.item) if task.item_id else of_meeting(task.meeting)
    case_id = (task.item.case_id if task.item_id else None) or task.meeting.case_id
    return [*base, Ground("responsible", task.meeting.unit_id, case_id, ref=task.responsible_id)]


def _goal_grounds(goal) -> list[Ground]:
    return about_case(goal.plan.case, goal.life_area.category_code)


def _case_of_person(person) -> list[Ground]:
    cases = list(person.cases.all())
    if not cases:
        return staff(person.unit_id)
    return [g for case in cases for g in about_case(case)]


@dataclass
class Rule:
    """How a model's free-text fields are read: `default` for every field unless `fields`
    names another rule; `skip` names text fields that are not free text (codes, scale values,
    copies of configuration). A field added later is read by the default rule."""

    default: Callable[[models.Model], list[Ground]]
    fields: dict[str, Callable] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()


def _case_staff(obj) -> list[Ground]:
    return staff(obj.case.unit_id, obj.case_id)


def _criminality(obj) -> list[Ground]:
    return about_case(obj.case, "criminality")


# Every model of an insats app is named here: classified, or skipped with the reason.
RULES: dict[str, Rule | None] = {
    # Configuration and identity of the installation's users, not case content.
    "organisations.Unit": None,
    "organisations.LifeArea": None,
    "organisations.CrimeType": None,
    "organisations.InformationCategory": None,
    "organisations.DischargeReason": None,
    "organisations.PracticalMatter": None,
    "organisations.LegalReference": None,
    "organisations.Organisation": None,
    "organisations.User": None,
    "organisations.Membership": None,
    "investigation.InformationLetter": None,  # the unit's letter template
    "risk.RiskInstrument": None,
    "risk.RiskItem": None,
    "staffsafety.SafetyChecklistItem": None,
    "staffsafety.CompetenceItem": None,
    "staffsafety.SafetyTalkReminder": None,
    "meetings.Group": None,  # the collaboration structure's names (Styrgrupp …)
    "meetings.DistrictChecklist": None,  # yes/no answers (JSON)
    "meetings.CalendarFeed": None,  # a secret token
    "plans.PlanRevision": None,  # a JSON copy of the plan: its markers are the plan's own
    "access.AccessLogEntry": None,  # generated
    "access.AccessLogHead": None,
    "reporting.PreparedFigures": None,  # de-identified figures
    "core.JobRun": None,  # the daily jobs' own bookkeeping
    # Generated copies of e-mail, shown on no page: the crawl reads the mail as delivered.
    "outbox.OutboundMessage": None,
    "outbox.OutboundAttachment": None,
    # The person: name and number are shown with the case to everyone who may see it
    # (cases/selectors.search_q: "the policy shows the person of every case it lets a user
    # see"); contact details only on the person page (staff).
    "people.Person": Rule(
        lambda p: staff(p.unit_id),
        {"first_name": _case_of_person, "last_name": _case_of_person},
        frozenset({"identity_number", "number_kind"}),
    ),
    "people.Guardian": Rule(lambda g: staff(g.person.unit_id)),
    "cases.Case": Rule(
        lambda c: staff(c.unit_id, c.pk),
        {"alias": lambda c: about_case(c), "intake_basis": lambda c: about_case(c, "criminality")},
    ),
    "cases.CaseTransition": Rule(_case_staff),
    # The group list is part of what every member sees; contact details are not shown.
    "cases.CaseMember": Rule(
        _case_staff,
        {"name": lambda m: about_case(m.case), "function": lambda m: about_case(m.case)},
    ),
    "consent.Consent": Rule(_case_staff, skip=frozenset({"scan_content_type", "end_reason"})),
    "consent.Disclosure": Rule(_case_staff),
    # Partners read the inventory's ratings row by row, but its notes and motivation are the
    # social services' own (investigation/views/inventory.py): staff-only here.
    "investigation.Inventory": Rule(_case_staff),
    "investigation.InventoryRating": Rule(
        lambda r: staff(r.inventory.case.unit_id, r.inventory.case_id)
    ),
    "investigation.LetterHandover": Rule(_case_staff),
    "investigation.PoliceAssessment": Rule(_criminality),
    "investigation.CriminalityProfile": Rule(_criminality),
    "investigation.CriminalityItem": Rule(lambda i: about_case(i.profile.case, "criminality")),
    "investigation.ResourceMapping": Rule(lambda r: about_case(r.case, "family")),
    "investigation.NetworkPerson": Rule(lambda p: about_case(p.mapping.case, "family")),
    "investigation.ThreatAssessment": Rule(_criminality),
    "investigation.ThreatMeasure": Rule(lambda m: about_case(m.assessment.case, "criminality")),
    "risk.RiskAssessment": Rule(_case_staff, skip=frozenset({"summary"})),
    "risk.RiskRating": Rule(
        lambda r: staff(r.assessment.case.unit_id, r.assessment.case_id), skip=frozenset({"level"})
    ),
    "risk.RiskExtraFactor": Rule(
        lambda r: staff(r.assessment.case.unit_id, r.assessment.case_id), skip=frozenset({"level"})
    ),
    "decisions.CaseDecision": Rule(_case_staff),
    "decisions.FollowUpAssessment": Rule(_case_staff),
    "decisions.FollowUpRating": Rule(
        lambda r: staff(r.assessment.case.unit_id, r.assessment.case_id)
    ),
    # The plan's own fields are read by every member who reads the plan; goals, measures and
    # reports by the goal's life area (its category); the follow-up's notes are staff-only.
    "plans.ActionPlan": Rule(lambda p: about_case(p.case)),
    "plans.PlanGoal": Rule(_goal_grounds),
    "plans.PlanMeasure": Rule(lambda m: _goal_grounds(m.goal)),
    "plans.MeasureReport": Rule(lambda r: _goal_grounds(r.measure.goal)),
    "plans.PlanFollowUp": Rule(lambda f: staff(f.plan.case.unit_id, f.plan.case_id)),
    "plans.GoalResult": Rule(lambda r: _goal_grounds(r.goal)),
    "casework.CasePracticalMatter": Rule(_case_staff),
    "casework.DebtEnquiry": Rule(lambda e: about_case(e.case, "economy")),
    "casework.Debt": Rule(lambda d: about_case(d.enquiry.case, "economy")),
    "casework.Placement": Rule(lambda p: about_case(p.case, "economy")),
    "casework.FailureReview": Rule(_case_staff),
    "casework.FailureReviewDecision": Rule(
        lambda d: staff(d.review.case.unit_id, d.review.case_id)
    ),
    "casework.Returnee": Rule(lambda r: staff(r.unit_id, r.case_id)),
    "meetings.GroupMember": Rule(lambda m: staff(m.group.unit_id)),
    "meetings.Contact": Rule(lambda c: staff(c.unit_id)),
    "meetings.Agreement": Rule(lambda a: staff(a.unit_id)),
    "meetings.Meeting": Rule(of_meeting),
    "meetings.Invitation": Rule(lambda i: of_meeting(i.meeting)),
    "meetings.AgendaItem": Rule(of_item),
    "meetings.Task": Rule(of_task),
    "meetings.Deviation": Rule(lambda d: [Ground("deviation", d.unit_id, d.case_id, ref=d.pk)]),
    "staffsafety.SafetyTalk": Rule(lambda t: [Ground("own", t.unit_id, ref=t.employee_id)]),
    "staffsafety.SafetyTalkItem": Rule(
        lambda i: [Ground("own", i.talk.unit_id, ref=i.talk.employee_id)],
        skip=frozenset({"label"}),
    ),
    "staffsafety.CompetenceRecord": Rule(
        lambda r: [Ground("own", r.unit_id, ref=r.coordinator_id)]
    ),
    "access.AccessLogFlag": Rule(lambda f: [Ground("supervisors", f.entry.unit_id)]),
    "access.LogReview": Rule(lambda r: [Ground("supervisors", r.unit_id)]),
}

NOT_TEXT = frozenset({"password", "username", "token", "key", "hash", "prev_hash", "last_hash"})


def text_fields(model) -> list[models.Field]:
    """The model's free-text fields: char and text fields without choices."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.name not in NOT_TEXT
    ]


def insats_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("insats.")]


def unclassified_models() -> list[str]:
    """Models with free text that RULES does not name (a new model must be classified)."""
    return sorted(
        m._meta.label for m in insats_models() if text_fields(m) and m._meta.label not in RULES
    )


# --- The registry -----------------------------------------------------------------------------


@dataclass
class Marker:
    token: str
    where: str  # "plans.PlanGoal.goal#12"
    unit_id: int
    case_id: int | None
    grounds: list[Ground]


class Markers:
    """Hands out tokens, fills the fields, and knows each token's grounds."""

    def __init__(self):
        self._next = 1
        self.by_token: dict[str, Marker] = {}
        self.literals: dict[str, str] = {}  # a literal string (an identity number) → token

    def new(self) -> str:
        token = f"MRK{self._next:04d}"
        self._next += 1
        return token

    def _register(self, token: str, where: str, grounds: list[Ground]) -> None:
        unit_id = grounds[0].unit_id
        case_id = next((g.case_id for g in grounds if g.case_id), None)
        known = self.by_token.get(token)
        if known is None:
            self.by_token[token] = Marker(token, where, unit_id, case_id, list(grounds))
        else:  # the same text copied into another field: readable where either is
            known.grounds.extend(g for g in grounds if g not in known.grounds)
            known.where += f" + {where}"

    def fill(self) -> None:
        """Give every free-text field of every object a marker: fields already holding tokens
        (written through the services) keep them, the others get a new one."""
        missing = unclassified_models()
        if missing:
            raise AssertionError(
                "Classify these models in tests/access/markers.py RULES: " + ", ".join(missing)
            )
        for model in insats_models():
            rule = RULES.get(model._meta.label)
            if rule is None:
                continue
            names = [f.name for f in text_fields(model) if f.name not in rule.skip]
            for obj in model.objects.all():
                updates = {}
                for name in names:
                    value = getattr(obj, name) or ""
                    grounds = rule.fields.get(name, rule.default)(obj)
                    where = f"{model._meta.label}.{name}#{obj.pk}"
                    tokens = [f"MRK{n}" for n in TOKEN.findall(value)]
                    if not tokens:
                        token = self.new()
                        updates[name] = token
                        tokens = [token]
                    for token in tokens:
                        self._register(token.upper(), where, grounds)
                if updates:
                    model.objects.filter(pk=obj.pk).update(**updates)

    def add_literal(self, texts: list[str], where: str, grounds: list[Ground]) -> str:
        """A value that cannot hold a marker (an identity number), found by its spellings."""
        token = self.new()
        self._register(token, where, grounds)
        for text in texts:
            self.literals[text] = token
        return token

    def found(self, text: str) -> set[str]:
        """The registered markers in a text (also when a PDF broke one over two lines)."""
        squashed = SPACE.sub("", text)
        hits = {f"MRK{n}" for n in TOKEN.findall(text)} | {
            f"MRK{n}" for n in TOKEN.findall(squashed)
        }
        hits = {t for t in hits if t in self.by_token}
        for literal, token in self.literals.items():
            if literal in text or literal in squashed:
                hits.add(token)
        return hits


# --- The oracle -------------------------------------------------------------------------------


class Oracle:
    """Who may read a marker, from SPEC §5 over the raw rows, as of `today`.

    - Social-services staff see everything of their own unit, nothing of another.
    - A partner member sees a case only while they sit in its group for an organisation in
      which they still hold a partner role, and a consent of that case covers that
      organisation, is valid today, not revoked and not ended — and only the categories those
      consents name. Never while the case is closed (discharged, declined, withdrawn).
    - A user without an active membership, or deactivated, sees nothing.
    - Leadership, analysts and administrators see no case content (they hold no ground here).
    """

    def __init__(self, today: date):
        from insats.cases.models import Case, CaseMember
        from insats.consent.models import Consent
        from insats.meetings.models import Deviation, GroupMember, Invitation, Meeting
        from insats.organisations.models import Membership

        self.today = today
        self.cases = {c.pk: c for c in Case.objects.all()}
        self.memberships = list(
            Membership.objects.filter(active=True, user__is_active=True).select_related(
                "organisation"
            )
        )
        self.case_members = list(CaseMember.objects.filter(removed_at__isnull=True))
        self.consents = []
        for consent in Consent.objects.prefetch_related("organisations", "categories"):
            ended = getattr(consent, "ended_on", None)
            if consent.revoked_on is not None and consent.revoked_on <= today:
                continue
            if ended is not None and ended <= today:
                continue
            if not consent.valid_from <= today <= consent.valid_until:
                continue
            self.consents.append(
                (
                    consent.case_id,
                    {o.pk for o in consent.organisations.all()},
                    {c.code for c in consent.categories.all()},
                )
            )
        self.invited = {
            (i.meeting_id, i.user_id) for i in Invitation.objects.filter(user__isnull=False)
        }
        self.seated = {
            (g.group_id, g.user_id)
            for g in GroupMember.objects.filter(user__isnull=False, removed_at__isnull=True)
        }
        self.meetings = {m.pk: m for m in Meeting.objects.all()}
        self.reporters = dict(Deviation.objects.values_list("pk", "reported_by_id"))
        self._cache: dict[int, dict] = {}

    def facts(self, user) -> dict:
        if user.pk in self._cache:
            return self._cache[user.pk]
        own = [m for m in self.memberships if m.user_id == user.pk]
        partner_orgs = {m.organisation_id for m in own if m.role == PARTNER_ROLE}
        categories: dict[int, set[str]] = {}
        for member in self.case_members:
            if member.user_id != user.pk or member.organisation_id not in partner_orgs:
                continue
            case = self.cases[member.case_id]
            if case.state in CLOSED_STATES:
                continue
            for case_id, organisations, codes in self.consents:
                if case_id == case.pk and member.organisation_id in organisations:
                    categories.setdefault(case.pk, set()).update(codes)
        facts = {
            "staff": {m.organisation.unit_id for m in own if m.role in STAFF_ROLES},
            "supervisor": {m.organisation.unit_id for m in own if m.role == "supervisor"},
            "member": {m.organisation.unit_id for m in own},
            "reporting": {
                m.organisation.unit_id for m in own if m.role in STAFF_ROLES | {PARTNER_ROLE}
            },
            "categories": categories,
        }
        self._cache[user.pk] = facts
        return facts

    def sees_case(self, user, case_id: int, category: str | None = None) -> bool:
        facts = self.facts(user)
        if self.cases[case_id].unit_id in facts["staff"]:
            return True
        codes = facts["categories"].get(case_id)
        if codes is None:
            return False
        return category is None or category in codes

    def allows(self, user, ground: Ground) -> bool:
        facts = self.facts(user)
        unit_staff = ground.unit_id in facts["staff"]
        match ground.kind:
            case "staff":
                return unit_staff
            case "supervisors":
                return ground.unit_id in facts["supervisor"]
            case "case":
                return self.sees_case(user, ground.case_id, ground.category)
            case "meeting":
                meeting = self.meetings[ground.ref]
                if unit_staff:
                    return True
                return ground.unit_id in facts["member"] and (
                    (meeting.pk, user.pk) in self.invited
                    or (meeting.group_id, user.pk) in self.seated
                )
            case "deviation":
                return unit_staff or (
                    self.reporters[ground.ref] == user.pk and ground.unit_id in facts["reporting"]
                )
            case "own":
                return ground.unit_id in facts["supervisor"] or (
                    ground.ref == user.pk and unit_staff
                )
            case "guest":
                return False
            case "responsible":
                if ground.ref != user.pk or ground.unit_id not in facts["member"]:
                    return False
                return ground.case_id is None or self.sees_case(user, ground.case_id)
        raise AssertionError(f"unknown ground {ground}")

    def may_read(self, user, marker: Marker) -> bool:
        return any(self.allows(user, g) for g in marker.grounds)


# --- Relations: what to fetch in full, what to sample --------------------------------------


class Relations:
    """Which objects a user has anything to do with: a role in the unit, a seat in a case's
    group, an invitation, a task, a report — ended or not, so that a former member is tested
    on everything they once had. URLs about unrelated objects only show whether a route is
    gated at all, so the crawl samples them (one per route and user) to stay within budget."""

    def __init__(self):
        from insats.cases.models import Case, CaseMember
        from insats.meetings.models import Deviation, GroupMember, Invitation, Meeting, Task
        from insats.organisations.models import Membership
        from insats.people.models import Person
        from insats.staffsafety.models import SafetyTalk

        self.case_unit = dict(Case.objects.values_list("pk", "unit_id"))
        self.case_users: dict[int, set[int]] = {}
        for case_id, user_id in CaseMember.objects.filter(user__isnull=False).values_list(
            "case_id", "user_id"
        ):
            self.case_users.setdefault(case_id, set()).add(user_id)
        self.person_unit = dict(Person.objects.values_list("pk", "unit_id"))
        self.person_cases: dict[int, set[int]] = {}
        for case_id, person_id in Case.objects.filter(person__isnull=False).values_list(
            "pk", "person_id"
        ):
            self.person_cases.setdefault(person_id, set()).add(case_id)
        self.meeting = {m.pk: m for m in Meeting.objects.all()}
        self.invited = set(Invitation.objects.values_list("meeting_id", "user_id"))
        self.seated = set(GroupMember.objects.values_list("group_id", "user_id"))
        self.task = {t.pk: (t.meeting_id, t.responsible_id) for t in Task.objects.all()}
        self.deviation = {d.pk: (d.unit_id, d.reported_by_id) for d in Deviation.objects.all()}
        self.talk = {t.pk: (t.unit_id, t.employee_id) for t in SafetyTalk.objects.all()}
        self.ever_staff: dict[int, set[int]] = {}
        self.ever_member: dict[int, set[int]] = {}
        for user_id, unit_id, role in Membership.objects.values_list(
            "user_id", "organisation__unit_id", "role"
        ):
            self.ever_member.setdefault(user_id, set()).add(unit_id)
            if role in STAFF_ROLES:
                self.ever_staff.setdefault(user_id, set()).add(unit_id)

    def objects(self, url: str) -> list[tuple[str, int]]:
        path, _, query = url.partition("?")
        found = []
        try:
            kwargs = resolve(path).kwargs
        except Resolver404:
            return found
        if "pk" in kwargs:
            kind = {"/arenden/": "case", "/personer/": "person"}.get(path[: path.find("/", 1) + 1])
            if kind:
                found.append((kind, int(kwargs["pk"])))
        for name, kind in (
            ("meeting_pk", "meeting"),
            ("task_pk", "task"),
            ("deviation_pk", "deviation"),
            ("talk_pk", "talk"),
        ):
            if name in kwargs:
                found.append((kind, int(kwargs[name])))
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if name == "case" and value.isdigit():
                found.append(("case", int(value)))
        return found

    def _related(self, user_id: int, kind: str, pk: int) -> bool:
        staff_in = self.ever_staff.get(user_id, set())
        if kind == "case":
            return self.case_unit.get(pk) in staff_in or user_id in self.case_users.get(pk, ())
        if kind == "person":
            return self.person_unit.get(pk) in staff_in or any(
                self._related(user_id, "case", c) for c in self.person_cases.get(pk, ())
            )
        if kind == "meeting":
            meeting = self.meeting.get(pk)
            if meeting is None:
                return True
            return (
                meeting.unit_id in staff_in
                or (pk, user_id) in self.invited
                or (meeting.group_id, user_id) in self.seated
                or (meeting.case_id is not None and self._related(user_id, "case", meeting.case_id))
            )
        if kind == "task":
            meeting_id, responsible = self.task.get(pk, (None, None))
            return responsible == user_id or self._related(user_id, "meeting", meeting_id)
        if kind in ("deviation", "talk"):
            unit_id, person = getattr(self, kind).get(pk, (None, None))
            return person == user_id or unit_id in staff_in
        return True

    def related(self, user, url: str) -> bool:
        return all(self._related(user.pk, kind, pk) for kind, pk in self.objects(url))


# --- Reading responses ------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(content))
    return " ".join((page.extract_text() or "") for page in reader.pages)


def xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(BytesIO(content), read_only=True)
    return " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def body_text(content: bytes, content_type: str) -> str:
    """The readable text of a response or attachment, whatever its kind."""
    if "pdf" in content_type and content.startswith(b"%PDF"):
        return pdf_text(content)
    if "spreadsheetml" in content_type or content[:2] == b"PK":
        return xlsx_text(content)
    text = content.decode("utf-8", errors="replace")
    if "calendar" in content_type:
        text = re.sub(r"\r?\n[ \t]", "", text)  # unfold iCalendar lines
    return text


def response_text(response) -> str:
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return body_text(content, response.get("Content-Type", ""))


def mail_text(message) -> str:
    """Subject, body, alternatives and attachments of an e-mail."""
    parts = [message.subject, message.body]
    parts += [content for content, _mime in getattr(message, "alternatives", [])]
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            _name, content, mime = attachment
            data = content if isinstance(content, bytes) else str(content).encode()
            parts.append(body_text(data, mime or ""))
        else:  # a MIME part
            payload = attachment.get_payload(decode=True) or b""
            parts.append(body_text(payload, attachment.get_content_type()))
    return "\n".join(parts)


# --- Crawling ---------------------------------------------------------------------------------

# Never followed: signing out, switching language, the admin, static files.
SKIP_PREFIXES = ("/logga-ut/", "/sprak/", "/admin/", "/static/", "/logga-in/")
QUERY_VARIANTS = 3  # per route and object: filters and pages are sampled, not enumerated


class LinkReader(HTMLParser):
    """Links and GET forms (with what a browser would submit by default) of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link", "iframe"):
            href = attrs.get("href") or attrs.get("src")
            if href and (tag != "link" or attrs.get("rel") == "alternate"):
                self.links.append(href)
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._form = {"action": attrs.get("action") or "", "values": []}
        elif tag in ("button", "input") and (attrs.get("formmethod") or "").lower() == "get":
            self.links.append(attrs.get("formaction") or ".")  # a GET button in a POST form
        elif self._form is not None:
            name = attrs.get("name")
            if tag == "input" and name:
                kind = attrs.get("type", "text")
                if kind in ("radio", "checkbox"):
                    if "checked" in attrs:
                        self._form["values"].append((name, attrs.get("value", "on")))
                elif kind not in ("submit", "button", "reset") and attrs.get("value"):
                    self._form["values"].append((name, attrs["value"]))
            elif tag == "select" and name:
                self._select = name
            elif tag == "option" and self._select and "selected" in attrs and attrs.get("value"):
                self._form["values"].append((self._select, attrs["value"]))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            action = self._form["action"]
            self.links.append(action or ".")
            if self._form["values"]:
                query = urlencode(self._form["values"])
                self.links.append(f"{action.split('?')[0] or '.'}?{query}")
            self._form = None


def route_of(path: str):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.url_name, tuple(sorted(match.kwargs.items()))


@dataclass
class Fetched:
    status: int
    tokens: set[str]
    content_type: str = ""
    text: str = ""


class Crawler:
    """Breadth-first over a signed-in client; remembers every URL any user reached."""

    def __init__(self, markers: Markers, max_pages: int = 3000):
        self.markers = markers
        self.max_pages = max_pages
        self.universe: list[str] = []
        self._seen: set[str] = set()
        self._variants: dict[tuple, int] = {}
        self.errors: list[tuple[str, str, str]] = []  # (user, url, what)
        self.timings: dict[tuple[str, int], list[float]] = {}  # (route, status) → seconds

    def normalise(self, href: str, base: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            return None
        parts = urlsplit(urljoin(base, href))
        if parts.netloc and parts.netloc not in ("testserver", ""):
            return None
        path = parts.path
        if path.startswith(SKIP_PREFIXES) or route_of(path) is None:
            return None
        query = "&".join(sorted(p for p in parts.query.split("&") if p))
        return f"{path}?{query}" if query else path

    def _admit(self, url: str) -> bool:
        """Add to the universe unless seen or beyond the sample for its route."""
        if url in self._seen:
            return False
        path, _, query = url.partition("?")
        if query:
            key = route_of(path)
            if self._variants.get(key, 0) >= QUERY_VARIANTS:
                return False
            self._variants[key] = self._variants.get(key, 0) + 1
        self._seen.add(url)
        self.universe.append(url)
        return True

    def post(self, client, label: str, url: str, data: dict) -> Fetched:
        """A download that only comes by POST (the statistics export)."""
        return self.fetch(client, label, url, data=data)

    def fetch(self, client, label: str, url: str, data: dict | None = None) -> Fetched:
        began = perf_counter()
        try:
            response = client.get(url) if data is None else client.post(url, data)
        except Exception as exc:  # a 500: reported with the URL, never fatal to the crawl
            self.errors.append((label, url, f"{type(exc).__name__}: {exc}"[:300]))
            return Fetched(500, set())
        route = (route_of(url.partition("?")[0]) or ("?",))[0]
        self.timings.setdefault((route, response.status_code), []).append(perf_counter() - began)
        if response.status_code >= 500:
            self.errors.append((label, url, f"status {response.status_code}"))
        if response.status_code != 200:
            return Fetched(response.status_code, set())
        text = response_text(response)
        return Fetched(200, self.markers.found(text), response.get("Content-Type", ""), text)

    def crawl(self, client, label: str, start: list[str]) -> dict[str, Fetched]:
        """Fetch everything reachable from `start` as this client; returns url → result."""
        results: dict[str, Fetched] = {}
        queue = []
        for url in start:
            self._admit(url)
            queue.append(url)
        while queue and len(results) < self.max_pages:
            url = queue.pop(0)
            if url in results:
                continue
            fetched = self.fetch(client, label, url)
            results[url] = fetched
            if fetched.status == 200 and "html" in fetched.content_type:
                reader = LinkReader()
                reader.feed(fetched.text)
                for href in reader.links:
                    found = self.normalise(href, url)
                    if found is None or found in results:
                        continue
                    self._admit(found)
                    if found in self._seen and found not in queue:
                        queue.append(found)
            fetched.text = ""
        return results
