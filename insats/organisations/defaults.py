"""The installation's default configuration lists (Swedish label, English label).

Loaded once by a data migration as the template for new units; from then on they are data,
edited in the admin. Legal references are deliberately texts, not code: SoL 2001:453 was
replaced by Socialtjänstlagen 2025:400 on 1 July 2025 and paragraphs were renumbered.
"""

LIFE_AREAS = [
    ("housing", "Boende", "Housing"),
    ("occupation", "Sysselsättning/skola", "Occupation/school"),
    ("economy", "Ekonomi", "Economy"),
    ("physical_health", "Fysisk hälsa", "Physical health"),
    ("mental_health", "Psykisk hälsa", "Mental health"),
    ("substance_use", "Missbruk/beroende", "Substance use"),
    ("network", "Nätverk/vänner", "Network/friends"),
    ("family", "Familj", "Family"),
    ("leisure", "Fritid", "Leisure"),
    ("criminality", "Kriminalitet", "Criminality"),
    ("other", "Övrigt", "Other"),
]

# Which consent category lets a partner see a life area's inventory rows (by code).
LIFE_AREA_CATEGORIES = {
    "housing": "housing",
    "occupation": "occupation",
    "economy": "economy",
    "physical_health": "health",
    "mental_health": "health",
    "substance_use": "substance_use",
    "network": "family",
    "family": "family",
    "leisure": "leisure",
    "criminality": "criminality",
}

CRIME_TYPES = [
    ("violence", "Våldsbrott", "Violent crime"),
    ("robbery", "Rån", "Robbery"),
    ("theft", "Stöld/inbrott", "Theft/burglary"),
    ("drugs", "Narkotikabrott", "Drug offences"),
    ("weapons", "Vapenbrott", "Weapons offences"),
    ("threats", "Olaga hot", "Unlawful threats"),
    ("vandalism", "Skadegörelse", "Criminal damage"),
    ("fraud", "Bedrägeri", "Fraud"),
    ("traffic", "Trafikbrott", "Traffic offences"),
    ("other", "Övrigt", "Other"),
]

INFORMATION_CATEGORIES = [
    ("health", "Hälsa", "Health"),
    ("occupation", "Sysselsättning/skola", "Occupation/school"),
    ("economy", "Ekonomi", "Economy"),
    ("criminality", "Kriminalitet", "Criminality"),
    ("housing", "Boende", "Housing"),
    ("substance_use", "Missbruk/beroende", "Substance use"),
    ("family", "Familj och nätverk", "Family and network"),
    ("leisure", "Fritid", "Leisure"),
]

DISCHARGE_REASONS = [
    ("goals_met", "Målen uppnådda", "Goals met"),
    ("no_longer_wants", "Vill inte längre ha stöd", "No longer wants support"),
    ("suspected_new_crime", "Misstänkt för nytt brott", "Suspected of a new crime"),
    ("convicted_new_crime", "Dömd för nytt brott", "Convicted of a new crime"),
    ("not_following_plan", "Följer inte planen", "Not following the plan"),
    ("unreachable", "Inte nåbar under längre tid", "Unreachable for a long period"),
    ("moved", "Flyttat", "Moved"),
    ("other", "Annat", "Other"),
]

PRACTICAL_MATTERS = [
    ("id_card", "Id-kort", "ID card"),
    ("bank_account", "Bankkonto", "Bank account"),
    ("address", "Folkbokföringsadress", "Address registration"),
    ("health_card", "Sjukvårdskort (EU-kort/frikort)", "Health insurance card"),
    ("mobile_phone", "Mobiltelefon", "Mobile phone"),
]

# (code, Swedish label, English label, kind, text)
LEGAL_REFERENCES = [
    (
        "support_sol",
        "Bistånd enligt socialtjänstlagen",
        "Support under the Social Services Act",
        "support",
        "Bistånd enligt socialtjänstlagen (2025:400). Ange aktuellt kapitel och paragraf.",
    ),
    (
        "osl_10_18a",
        "OSL 10 kap. 18 a §",
        "Public Access and Secrecy Act ch. 10 s. 18 a",
        "disclosure",
        "Socialtjänsten får lämna uppgift till polisen om någon som inte fyllt 21 år, "
        "om det behövs för att förhindra att den unge fortsätter att utveckla ett "
        "brottsligt beteende.",
    ),
    (
        "osl_10_1",
        "OSL 10 kap. 1 § och 12 kap. 2 §",
        "Public Access and Secrecy Act ch. 10 s. 1 and ch. 12 s. 2",
        "consent",
        "Sekretess hindrar inte att en uppgift lämnas om den enskilde samtycker.",
    ),
]

LISTS = {
    "lifearea": LIFE_AREAS,
    "crimetype": CRIME_TYPES,
    "informationcategory": INFORMATION_CATEGORIES,
    "dischargereason": DISCHARGE_REASONS,
}

INFORMATION_LETTER_TITLE = "Information om social insatsgrupp"
INFORMATION_LETTER = """\
Du har fått det här brevet eftersom du kan få stöd av en social insatsgrupp. En social \
insatsgrupp är ett samarbete mellan socialtjänsten, polisen och andra verksamheter, till \
exempel skola, Arbetsförmedlingen och Kriminalvården. Syftet är att ge dig stöd att lämna \
en kriminell livsstil och att bygga upp ett liv med sysselsättning, boende och ett nätverk \
som håller.

Deltagandet är frivilligt. Du får en egen lots som håller ihop arbetet och som du träffar \
regelbundet. Tillsammans med dig gör vi en handlingsplan med mål och aktiviteter som du \
själv är med och bestämmer.

För att vi ska kunna samarbeta behöver du samtycka till att de som ingår i din grupp får \
utbyta uppgifter om dig. Du bestämmer vilka verksamheter och vilka uppgifter samtycket \
gäller, och du kan när som helst återkalla det.

Vi förväntar oss att du deltar i de möten och aktiviteter vi kommer överens om och att du \
vill förändra din livssituation. Arbetet kan avslutas om du inte längre vill ha stöd, om du \
inte följer planen, om du inte går att nå under en längre tid eller om du misstänks eller \
döms för nya brott.

Hör av dig till din kontaktperson om du har frågor.
"""
