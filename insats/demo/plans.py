"""Demo action plans, made through the real services: living plans with goals in several life
areas, measures for the police, the school, the coordinator and a coach, members' reports, one
overdue measure and follow-ups with goals met."""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.consent import services as consent_services
from insats.investigation.services import unit_life_areas
from insats.plans import services as plans
from insats.plans.models import GoalResult, PlanMeasure


def make_plan(rng: random.Random, case: Case, police_user, today, final_state: str) -> None:
    """A plan for a newly enrolled case; the further `final_state` lies along the lifecycle,
    the more has happened in it (reports, follow-ups)."""
    areas = {a.code: a for a in unit_life_areas(case)}
    coordinator = case.coordinator
    police = case.members.filter(user=police_user, removed_at__isnull=True).first()
    coach = case.members.filter(user__isnull=True, removed_at__isnull=True).first()
    if coach is None:
        coach = consent_services.member_add_external(
            case=case, by=coordinator, name="Robin Tränarsson", function="Fotbollstränare"
        )
    started = final_state != State.ASSIGNMENT
    goals = [
        {
            "id": None,
            "life_area": areas["occupation"],
            "goal": "Börja på en utbildning eller ett arbete",
            "target": "Inskriven och närvarande minst 80 % under en termin",
            "measured_by": "Närvarolista från skolan",
        },
        {
            "id": None,
            "life_area": areas["criminality"],
            "goal": "Inga nya brott",
            "target": "Inga nya misstankar under sex månader",
            "measured_by": "Polisens uppgifter vid gruppmötena",
        },
        {
            "id": None,
            "life_area": areas["leisure"],
            "goal": "En meningsfull fritid utan det gamla gänget",
            "target": "Tränar minst två gånger i veckan",
            "measured_by": "Tränarens närvarolista",
        },
    ]
    measures = [
        {
            "goal": 0,
            "what": "Studiebesök på vuxenutbildningen",
            "how": "Lotsen följer med",
            "where": "Vuxenutbildningen",
            "starts_on": today - timedelta(days=40),
            "due_on": today - timedelta(days=5) if started else today + timedelta(days=20),
            "responsible_staff": coordinator,
            "status": PlanMeasure.Status.ONGOING if started else PlanMeasure.Status.PLANNED,
        },
        {
            "goal": 1,
            "what": "Uppföljande samtal om kamratkretsen",
            "how": "Samtal varannan vecka",
            "where": "Polisstationen",
            "due_on": today + timedelta(days=30),
            "responsible_member": police,
            "responsible_organisation": police.organisation if police else None,
        },
        {
            "goal": 2,
            "what": "Prova på träning i fotbollslaget",
            "how": "Tränaren hämtar första gången",
            "where": "Idrottsplatsen",
            "due_on": today + timedelta(days=14),
            "responsible_member": coach,
            "after": 0,
        },
    ]
    plan = plans.plan_save(
        case=case,
        by=coordinator,
        based_on_revision=0,
        main_goal="Att leva ett liv utan kriminalitet, med sysselsättning och egna vänner.",
        status="ready" if started else "draft",
        commitments="Komma till mötena med lotsen\nSvara i telefon när gruppen ringer\n"
        "Inte träffa det gamla gänget",
        next_follow_up_at=timezone.make_aware(
            datetime.combine(today + timedelta(days=rng.randint(5, 25)), time(14, 0))
        ),
        next_follow_up_place="Socialtjänstens mötesrum",
        acute_contact=f"{coordinator.get_full_name()}, 010-000 00 00 (dagtid); "
        "Polisen 114 14 (kvällar och helger)",
        goals=goals,
        measures=[{"id": None, **m} for m in measures],
    )
    if not started:
        return
    police_measure = plan.measures.filter(responsible_member=police).first()
    if police_measure is not None and police is not None:
        plans.measure_report(
            measure=police_measure,
            by=police_user,
            status=PlanMeasure.Status.ONGOING,
            note="Två samtal genomförda; han/hon har tagit avstånd från gänget.",
        )
    if final_state in (State.FOLLOW_UP, State.DISCHARGED):
        open_goals = list(plan.goals.all())
        plans.plan_follow_up(
            case=case,
            by=coordinator,
            held_on=today - timedelta(days=7),
            note="Gruppmöte med den unge, polisen och tränaren.",
            results=[
                {"goal": open_goals[0], "result": GoalResult.Result.PARTLY, "note": ""},
                {"goal": open_goals[1], "result": GoalResult.Result.MET, "note": ""},
                {"goal": open_goals[2], "result": GoalResult.Result.NOT_MET, "note": "Slutat"},
            ],
        )


def make_casework(case: Case, today, *, failure_review: bool = False) -> None:
    """Practical matters partly solved, a Kronofogden enquiry answered with debts, and a
    placement; optionally a failure review (the plan broke down for a while)."""
    from decimal import Decimal

    from insats.casework import services_economy as economy
    from insats.casework import services_practical as practical
    from insats.casework import services_reviews as reviews

    by = case.coordinator
    matters = list(practical.unit_matters(case))
    practical.practical_save(
        case=case,
        by=by,
        rows=[
            {"matter": m, "done_on": today - timedelta(days=20) if i < 2 else None, "note": ""}
            for i, m in enumerate(matters)
        ],
    )
    enquiry = economy.debt_enquiry_create(
        case=case, by=by, reply_address=economy.default_reply_address(case, by)
    )
    economy.debt_enquiry_mark_sent(case=case, enquiry=enquiry, by=by, sent_on=today)
    economy.debt_enquiry_answer(
        case=case,
        enquiry=enquiry,
        by=by,
        answered_on=today,
        debts=[
            {"kind": "public", "creditor": "Skatteverket", "amount": Decimal("4200")},
            {"kind": "damages", "creditor": "Brottsoffermyndigheten", "amount": Decimal("12500")},
        ],
    )
    economy.placement_save(
        case=case,
        by=by,
        kind="supported",
        provider="Stödboendet Exempelgården",
        starts_on=today - timedelta(days=60),
        ends_on=None,
        daily_cost=Decimal("1450"),
    )
    if failure_review:
        reviews.failure_review_save(
            case=case,
            by=by,
            trigger="reoffending",
            opened_on=today - timedelta(days=10),
            convened="Lotsen, kommunpolisen, mentorn, den unge och mamma",
            timeline="Misstänkt för stöld efter att ha slutat på träningen.",
            causes="Träningen upphörde under sommaruppehållet; ingen ersättande aktivitet.",
            lessons="Planera för loven i god tid.",
            decisions=[
                {
                    "decision": "Sommarjobb via Jobbtorget",
                    "responsible": "Lotsen",
                    "due_on": today + timedelta(days=14),
                }
            ],
        )
