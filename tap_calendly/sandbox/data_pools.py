"""Word lists the synthetic organization draws from.

Names deliberately mix scripts and diacritics (and time zones with odd offsets) so that
encoding and time-zone bugs in the tap and loader show up against the sandbox, not in
production. Each name carries an ASCII form used to build e-mail addresses and slugs.
"""

from __future__ import annotations

#: (display form, ASCII form) pairs.
FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("Ana", "ana"),
    ("Priya", "priya"),
    ("Mateo", "mateo"),
    ("Chloé", "chloe"),
    ("Søren", "soren"),
    ("Aisha", "aisha"),
    ("Hiroshi", "hiroshi"),
    ("Olivia", "olivia"),
    ("Liam", "liam"),
    ("Noah", "noah"),
    ("Emma", "emma"),
    ("Björn", "bjorn"),
    ("Renée", "renee"),
    ("Ngozi", "ngozi"),
    ("Dmitri", "dmitri"),
    ("Siobhán", "siobhan"),
    ("Ravi", "ravi"),
    ("Mei", "mei"),
    ("Carlos", "carlos"),
    ("Fatima", "fatima"),
    ("Jürgen", "jurgen"),
    ("Anaïs", "anais"),
    ("Kwame", "kwame"),
    ("Sofia", "sofia"),
    ("Ethan", "ethan"),
    ("Maya", "maya"),
    ("Ömer", "omer"),
    ("さくら", "sakura"),
    ("Иван", "ivan"),
)

LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("Müller", "muller"),
    ("渡辺", "watanabe"),
    ("García", "garcia"),
    ("Smith", "smith"),
    ("Nowak", "nowak"),
    ("O'Brien", "obrien"),
    ("Sharma", "sharma"),
    ("Nguyễn", "nguyen"),
    ("Johnson", "johnson"),
    ("Kowalczyk", "kowalczyk"),
    ("Silva", "silva"),
    ("Okafor", "okafor"),
    ("Andersson", "andersson"),
    ("Dubois", "dubois"),
    ("Rossi", "rossi"),
    ("Yılmaz", "yilmaz"),  # noqa: RUF001
    ("Kim", "kim"),
    ("Chen", "chen"),
    ("Brown", "brown"),
    ("Fernández", "fernandez"),
    ("Petrov", "petrov"),
    ("Haddad", "haddad"),
    ("van der Berg", "vanderberg"),
    ("Thapa", "thapa"),
    ("Ålund", "alund"),
    ("Lee", "lee"),
)

#: Invitee time zones; several have non-hour or southern-hemisphere offsets.
INVITEE_TIMEZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "America/St_Johns",
    "Africa/Lagos",
    "UTC",
)

#: Host time zones and the UTC hour their working day starts (rough, ignores DST).
HOST_TIMEZONES: tuple[tuple[str, int], ...] = (
    ("America/New_York", 13),
    ("America/Los_Angeles", 16),
    ("Europe/London", 8),
    ("Europe/Berlin", 7),
    ("Asia/Kolkata", 3),
    ("America/Sao_Paulo", 11),
    ("Australia/Adelaide", 23),
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "corp.example.co.uk",
)

LOCALES: tuple[str, ...] = ("en", "en", "en", "es", "de", "fr", "pt", "ja")

EVENT_TYPE_NAMES: tuple[str, ...] = (
    "15 Minute Meeting",
    "30 Minute Meeting",
    "Discovery Call",
    "Product Demo",
    "Onboarding Session",
    "Office Hours",
    "Quarterly Review",
    "Café Chat ☕",
    "Support Escalation",
    "Interview",
    "Partner Sync",
    "Coaching Session",
)

GROUP_EVENT_TYPE_NAMES: tuple[str, ...] = (
    "Group Webinar",
    "Weekly Workshop",
    "Community Q&A",
    "Training Class",
)

TEAM_EVENT_TYPE_NAMES: tuple[str, ...] = (
    "Sales Round Robin",
    "Support Rotation",
    "Panel Interview",
    "Customer Success Intro",
)

GROUP_NAMES: tuple[str, ...] = (
    "Sales",
    "Customer Success",
    "Support",
    "Recruiting",
    "Engineering",
    "Marketing",
    "Partnerships",
    "Finance",
    "Équipe Paris",
    "APAC",
)

COLORS: tuple[str, ...] = (
    "#fff200",
    "#0099ff",
    "#8247f5",
    "#e55cff",
    "#17e885",
    "#ff4f00",
    "#ccf000",
    "#00d1b2",
)

CANCEL_REASONS: tuple[str, ...] = (
    "Meeting Conflict",
    "Something came up, sorry!",
    "Need to reschedule",
    "Illness",
    "No longer needed",
    "Désolé, empêchement de dernière minute",
    "Travel",
)

#: Custom questions an event type may ask, as (name, type, answer choices).
CUSTOM_QUESTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Company Name", "string", ()),
    ("What would you like to discuss?", "text", ()),
    ("Number of employees", "single_select", ("1", "2-10", "11-50", "51-200", "200+")),
    ("Topics of interest", "multi_select", ("Pricing", "Integrations", "Security", "Other")),
    ("Phone Number", "phone_number", ()),
)

FREE_TEXT_ANSWERS: tuple[str, ...] = (
    "Looking forward to it!",
    "Pricing for 20 seats",
    "We use Salesforce and HubSpot",
    "Need help with the API\nand webhooks",
    "Über die Integration sprechen",
    "見積もりについて",
    "Acme Corp",
    "Globex",
    "Initech",
)

UTM_SOURCES: tuple[str, ...] = ("google", "newsletter", "linkedin", "partner", "twitter")
UTM_MEDIUMS: tuple[str, ...] = ("cpc", "email", "social", "referral")
UTM_CAMPAIGNS: tuple[str, ...] = ("spring_launch", "webinar_2025", "retargeting", "brand")

ROUTING_FORM_NAMES: tuple[str, ...] = (
    "Inbound Demo Request",
    "Support Triage",
    "Partner Application",
    "Contact Sales",
    "Candidate Screening",
    "Event Registration",
)

INDUSTRIES: tuple[str, ...] = (
    "IT & Software",
    "Financial Services",
    "Entertainment",
    "Healthcare",
    "Education",
    "Retail",
)

COMPANY_SIZES: tuple[str, ...] = ("1-10", "11-50", "51-200", "201-1000", "1000+")

CITIES: tuple[str, ...] = (
    "Calendly Office, 115 E Main St, Buford, GA",
    "Café Central, Herrengasse 14, Wien",
    "Room 4B, Kraków HQ",
    "WeWork, 1 Rue de Rivoli, Paris",
    "東京オフィス 3F",
)
