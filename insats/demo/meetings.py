"""Demo groups and meetings, made through the real services: the three levels with members,
the contact list, an agreement and a situation picture, this year's district checklist, the
monthly preparation meeting with an agenda in three parts, an individual-group meeting,
tasks and collaboration deviations."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from insats.meetings import services_deviations as deviations
from insats.meetings import services_groups as groups
from insats.meetings import services_meetings as meetings
from insats.meetings.models import AgendaItem, DistrictChecklist, Group, Meeting, Task
from insats.organisations.models import Organisation


def make_meetings(unit, users: dict, cases: dict, today) -> None:
    boss, lots = users["chef"], users["lots"]
    orgs = {o.kind: o for o in Organisation.objects.filter(unit=unit)}
    social, police, school = orgs["social_services"], orgs["police"], orgs["school"]

    steering = groups.group_save(
        unit=unit, by=boss, kind=Group.Kind.STEERING, name="Styrgrupp SIG", rhythm_days=90
    )
    groups.member_add(group=steering, by=boss, organisation=social, user=boss, function="Ordf.")
    groups.member_add(
        group=steering,
        by=boss,
        organisation=police,
        name="Lokalpolisområdeschef Fiktiva",
        email="lpo@exempelstad.invalid",
        function="Lokalpolisområdeschef",
    )
    preparation = groups.group_save(
        unit=unit, by=boss, kind=Group.Kind.PREPARATION, name="Beredningsgruppen", rhythm_days=30
    )
    for user, organisation, function in (
        (lots, social, "Lots"),
        (boss, social, "Enhetschef"),
        (users["polis"], police, "Kommunpolis"),
        (users["skola"], school, "Mentor"),
    ):
        groups.member_add(
            group=preparation, by=boss, organisation=organisation, user=user, function=function
        )
    groups.group_save(
        unit=unit,
        by=boss,
        kind=Group.Kind.OPERATIONAL,
        name="Operativ ledningsgrupp",
        rhythm_days=30,
    )

    for organisation, name, function, days in (
        (police, "Kommunpolis Exempelsson", "Kommunpolis", 40),
        (school, "Rektor Påhittad", "Rektor", 500),
        (orgs["employment"], "Handläggare Jobbsson", "Arbetsförmedlare", 90),
    ):
        groups.contact_save(
            unit=unit,
            by=boss,
            organisation=organisation,
            name=name,
            function=function,
            phone="010-000 00 00",
            email="kontakt@exempelstad.invalid",
            last_reviewed_on=today - timedelta(days=days),
        )
    groups.agreement_save(
        unit=unit,
        by=boss,
        kind="agreement",
        title="Samverkansöverenskommelse socialtjänst och polis",
        parties="Socialtjänsten, Polisen",
        dated_on=today - timedelta(days=340),
        review_on=today + timedelta(days=10),
    )
    groups.agreement_save(
        unit=unit,
        by=boss,
        kind="situation",
        title="Lokal lägesbild",
        dated_on=today - timedelta(days=200),
        review_on=today + timedelta(days=165),
    )
    groups.checklist_save(
        unit=unit,
        by=boss,
        year=today.year,
        answers={
            code: {"yes": index != 4, "note": "" if index != 4 else "Två samtal kvar."}
            for index, (code, _label) in enumerate(DistrictChecklist.QUESTIONS)
        },
    )

    # The monthly preparation meeting: one covered case, one not, a returnee, the general part.
    starts = timezone.make_aware(datetime.combine(today + timedelta(days=3), time(9, 0)))
    meeting = meetings.meeting_create(
        unit=unit,
        by=boss,
        kind=Meeting.Kind.PREPARATION,
        group=preparation,
        title="Beredningsgruppen",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="Socialtjänstens mötesrum",
        convener=boss,
        invitees=[invitee for _key, invitee in meetings.default_invitees(group=preparation)],
    )
    covered, uncovered = cases["covered"], cases["uncovered"]
    items = [
        (AgendaItem.Part.INDIVIDUAL, covered, "Uppföljning av planen", ""),
        (AgendaItem.Part.INDIVIDUAL, uncovered, "Ny aktualisering från skolan", ""),
        (AgendaItem.Part.RETURNEES, None, "Hemkomster närmaste månaden", ""),
        (AgendaItem.Part.GENERAL, None, "Valborg: samordnad närvaro i centrum", ""),
        (AgendaItem.Part.GENERAL, None, "Bilbränder i Norra området", ""),
    ]
    for position, (part, case, title, minutes) in enumerate(items):
        AgendaItem.objects.create(
            meeting=meeting,
            part=part,
            position=position,
            case=case,
            title=title,
            minutes=minutes,
            registered_by=lots,
        )
    Task.objects.create(
        meeting=meeting,
        description="Kontakta fritidsgården om Valborg",
        responsible=lots,
        due_on=today - timedelta(days=2),
        created_by=boss,
    )
    deviations.deviation_report(
        by=users["skola"],
        unit=unit,
        organisation=police,
        occurred_on=today - timedelta(days=12),
        what_happened="Skolan fick ingen återkoppling efter anmälan om oro.",
    )
    deviations.deviation_report(
        by=lots,
        unit=unit,
        organisation=school,
        occurred_on=today - timedelta(days=30),
        what_happened="Mentorn kom inte till två gruppmöten i rad.",
    )
