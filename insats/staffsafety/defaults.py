"""Default checklist items (code, Swedish label, English label), loaded as templates.

The guidance (seed 001) names the two proactive-safety checklists (appendices 2.1 and 2.2) but
not their items: these are examples for a unit to adapt in the admin, not an official list. The
competence requirements follow the guidance's list for coordinators (appendix 2.3).
"""

GENERAL_SAFETY = [
    (
        "home_visits_in_pairs",
        "Hembesök och möten på okänd plats görs två och två när det finns en hotbild",
        "Home visits and meetings in unknown places are made in pairs when there is a threat",
    ),
    (
        "risk_assessment_before_meeting",
        "Riskbedömning görs inför möten med klienter (plats, tid, vilka som deltar)",
        "A risk assessment is made before client meetings (place, time, who takes part)",
    ),
    (
        "alarm_and_entry",
        "Rutinen för larm, inpassering och besöksrum är känd",
        "The routine for alarms, entry and visiting rooms is known",
    ),
    (
        "threat_violence_routine",
        "Rutinen vid hot och våld (anmälan, stöd, polisanmälan) är känd",
        "The routine for threats and violence (reporting, support, police report) is known",
    ),
    (
        "protected_personal_data",
        "Skyddade personuppgifter eller sekretessmarkering för medarbetaren har övervägts",
        "Protected personal data or a confidentiality mark for the employee has been considered",
    ),
    (
        "whereabouts_known",
        "Kollegor vet var medarbetaren är vid uppdrag utanför kontoret",
        "Colleagues know where the employee is during assignments outside the office",
    ),
    (
        "work_phone_only",
        "Endast tjänstetelefon och tjänstens e-post används i kontakt med klienter",
        "Only the work phone and work e-mail are used in contact with clients",
    ),
    (
        "debrief_after_incident",
        "Medarbetaren vet hur avlastningssamtal och stöd efter en incident ordnas",
        "The employee knows how debriefing and support after an incident are arranged",
    ),
]

SOCIAL_MEDIA_SAFETY = [
    (
        "private_accounts_locked",
        "Privata konton i sociala medier är låsta eller begränsade till kända kontakter",
        "Private social media accounts are locked or limited to known contacts",
    ),
    (
        "no_workplace_or_home_images",
        "Inga bilder eller inlägg röjer arbetsplats, bostad, bil eller familj",
        "No pictures or posts reveal the workplace, home, car or family",
    ),
    (
        "geotagging_off",
        "Geotaggning och platsdelning är avstängd i telefon och appar",
        "Geotagging and location sharing are turned off in the phone and apps",
    ),
    (
        "people_search_sites",
        "Sökbarheten på upplysningssajter (t.ex. adress- och personsökningstjänster) "
        "är kontrollerad",
        "Searchability on people-search sites has been checked",
    ),
    (
        "no_client_contact_private",
        "Ingen kontakt med klienter eller deras närstående via privata konton",
        "No contact with clients or their relatives through private accounts",
    ),
    (
        "family_informed",
        "Närstående har informerats om att inte publicera uppgifter om medarbetarens arbete",
        "Relatives have been told not to publish details about the employee's work",
    ),
    (
        "threats_online_reported",
        "Medarbetaren vet hur hot och trakasserier på nätet dokumenteras och anmäls",
        "The employee knows how online threats and harassment are documented and reported",
    ),
]

# (code, label, English label, description shown as a hint)
COMPETENCE = [
    (
        "degree",
        "Adekvat högskoleutbildning eller av arbetsledningen bedömd likvärdig utbildning",
        "A relevant university degree or training the management judges equivalent",
        "",
    ),
    (
        "social_services_basics",
        "Grundkunskaper om socialtjänsten",
        "Basic knowledge of the social services",
        "Socialtjänstens ansvar och basverksamheter, t.ex. genom introduktions- och "
        "fördjupningsutbildningar.",
    ),
    (
        "local_knowledge",
        "Lokalkännedom",
        "Local knowledge",
        "Lokalområdets resurser, civila samhället, myndigheter och kända konflikter.",
    ),
    (
        "legislation",
        "Kännedom om lagstiftning",
        "Knowledge of the legislation",
        "Kommunallag, förvaltningslag, socialtjänstlag, offentlighets- och sekretesslag, "
        "brottsbalk och annan lagstiftning som påverkar arbetet.",
    ),
    (
        "motivational_interviewing",
        "Kunskaper i bemötandetekniker (motiverande samtal)",
        "Communication techniques (motivational interviewing)",
        "Motiverande samtal som baskunskap; lågaffektivt bemötande kan komplettera.",
    ),
    (
        "criminology",
        "Kunskaper om målgruppen och kriminologi",
        "Knowledge of the target group and criminology",
        "Kriminologisk teori och kriminogena faktorer, gärna även våldsprevention och "
        "neuropsykiatriska funktionsnedsättningar.",
    ),
    (
        "violent_extremism",
        "Kunskaper om våldsbejakande extremism",
        "Knowledge of violent extremism",
        "T.ex. genom webbutbildning eller kommunens utbildningar.",
    ),
]
