"""The demo clinics of `manage.py seed_demo`: who works there, who their clients are, and
the words that fill their records. Data only; demo/management/commands/seed_demo.py
turns it into rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import User
from clients.models import HealthFlag

SEED = 20260517
DEMO_PASSWORD = "demo"
START_HOURS = (9, 10, 11, 13, 14, 15, 16)  # lunch at 12


@dataclass
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    demo_login: bool = False


@dataclass
class ClientSpec:
    first_name: str
    last_name: str
    focus: str
    practitioner: str  # username
    past_visits: int  # how many visits before the next one
    interval_days: int = 7
    # Days from today to the next visit (0 = today); None = no upcoming visit.
    next_in_days: int | None = 7
    hour: int = 10
    timezone: str = "Europe/London"
    routine_time: dt.time = dt.time(8, 0)
    consent_email: bool = True
    flags: tuple[str, ...] = ()
    prefers_hands: bool = False
    medical_notes: str = ""
    clearance: str = ""
    on_course: bool = False
    starting_pain: int = 7


@dataclass(frozen=True)
class TreatmentSpec:
    name: str
    minutes: int
    buffer_after: int = 0


# Online booking (docs/domain.md, "Online booking"): what clients can book, and everyone's
# week (Monday to Friday, and Saturday mornings), with lunch at 12.
TREATMENTS = (
    TreatmentSpec("Foot reflexology", 60, buffer_after=15),
    TreatmentSpec("Hand reflexology", 45, buffer_after=15),
    TreatmentSpec("First visit: consultation and reflexology", 90, buffer_after=15),
)
WORKING_HOURS = tuple((weekday, dt.time(9), dt.time(12)) for weekday in range(6)) + tuple(
    (weekday, dt.time(13), dt.time(17)) for weekday in range(5)
)


@dataclass
class ClinicSpec:
    slug: str
    name: str
    timezone: str
    email: str
    phone: str
    address: str
    staff: list[StaffSpec]
    clients: list[ClientSpec] = field(default_factory=list)
    online_booking: bool = False


FOCUS_KEYWORDS = {
    "Lower back": ("lumbar", "lower_back", "lower-back", "sacr", "sciatic", "hip", "spine", "coccyx"),
    "Neck and shoulders": ("neck", "cervical", "shoulder", "trapez"),
    "Upper back": ("thoracic", "upper_back", "upper-back", "shoulder", "spine"),
    "Relaxation and sleep": ("solar", "diaphragm", "brain", "head", "pituitary"),
}

SESSION_NOTES = (
    "Relaxed quickly once settled; breathing slowed during the spine work.",
    "Most tension along the spine reflex; eased with slow thumb-walking.",
    "Says the stretches from last time are helping in the mornings.",
    "Slept better this week; less stiffness getting out of bed.",
    "Busy week at work, more tension in the shoulders than last time.",
    "Comfortable throughout; asked for a little more time on the neck reflexes.",
    "Walked to the clinic today and felt looser than usual.",
    "Reminded about the rolled towel behind the lower back when seated.",
)
CANCEL_REASONS = ("Client unwell", "Work commitment", "Rebooked by phone", "Family emergency")

DEMO = ClinicSpec(
    slug="demo",
    name="Demo Reflexology",
    timezone="Europe/London",
    email="hello@demo-reflexology.example.com",
    phone="020 7946 0958",
    address="14 Linden Mews\nLondon N1 7QT",
    online_booking=True,
    staff=[
        StaffSpec("owner", "Helen", "Ashworth", User.Role.OWNER, demo_login=True),
        StaffSpec("demo", "Tom", "Becker", User.Role.PRACTITIONER, demo_login=True),
        StaffSpec("maya.okafor", "Maya", "Okafor", User.Role.PRACTITIONER),
    ],
    clients=[
        ClientSpec("Margaret", "Ellis", "Lower back", "demo", 6, next_in_days=0, hour=9, on_course=True,
                   flags=(HealthFlag.ARTHRITIS,), medical_notes="Mild arthritis in both big toes.", starting_pain=8),
        ClientSpec("James", "O'Connor", "Lower back", "demo", 5, next_in_days=0, hour=10, on_course=True,
                   routine_time=dt.time(7, 0), medical_notes="Desk job; back pain for four months."),
        ClientSpec("Aisha", "Rahman", "Neck and shoulders", "demo", 4, next_in_days=0, hour=13,
                   routine_time=dt.time(21, 0), starting_pain=6),
        ClientSpec("Claire", "Whitfield", "Lower back", "demo", 5, next_in_days=0, hour=15, on_course=True,
                   flags=(HealthFlag.FEET_INJURED,), medical_notes="Healing blister infection on the right heel."),
        ClientSpec("George", "Hughes", "Lower back", "demo", 4, next_in_days=0, hour=16, interval_days=14,
                   flags=(HealthFlag.SERIOUS_BACK_INJURY,), starting_pain=8,
                   medical_notes="L4/L5 disc injury in 2023, physiotherapy finished.",
                   clearance="Dr A. Patel, GP at Riverside Surgery: happy for gentle reflexology; "
                             "no deep pressure on the spine reflexes."),
        ClientSpec("Peter", "Novak", "Upper back", "maya.okafor", 3, next_in_days=0, hour=11,
                   timezone="Europe/Prague", routine_time=dt.time(7, 30)),
        ClientSpec("Hannah", "Kowalski", "Relaxation and sleep", "maya.okafor", 3, next_in_days=0, hour=14,
                   flags=(HealthFlag.PREGNANCY,), starting_pain=4,
                   medical_notes="24 weeks pregnant; midwife agreed to light reflexology."),
        ClientSpec("Daniel", "Murphy", "Lower back", "demo", 6, next_in_days=1, hour=11, on_course=True),
        ClientSpec("Fatima", "Begum", "Neck and shoulders", "demo", 3, next_in_days=2, hour=14,
                   routine_time=dt.time(12, 30)),
        ClientSpec("Ian", "Fraser", "Lower back", "owner", 4, next_in_days=3, hour=10, starting_pain=6),
        ClientSpec("Julia", "Santos", "Upper back", "maya.okafor", 2, next_in_days=4, hour=9,
                   timezone="Europe/Lisbon", routine_time=dt.time(20, 0)),
        ClientSpec("Kevin", "Walsh", "Lower back", "demo", 0, next_in_days=1, hour=16,
                   flags=(HealthFlag.SERIOUS_BACK_INJURY,), consent_email=False,
                   medical_notes="Spinal fusion surgery in 2022. Waiting for his consultant's letter."),
        ClientSpec("Laura", "Bennett", "Lower back", "demo", 5, next_in_days=7, hour=9,
                   flags=(HealthFlag.VARICOSE_VEINS,), medical_notes="Varicose veins on the left calf."),
        ClientSpec("Mohammed", "Iqbal", "Neck and shoulders", "owner", 3, next_in_days=8, hour=13,
                   routine_time=dt.time(18, 0)),
        ClientSpec("Niamh", "Doyle", "Relaxation and sleep", "maya.okafor", 4, next_in_days=9, hour=15,
                   timezone="Europe/Dublin", starting_pain=3),
        ClientSpec("Oliver", "Grant", "Lower back", "demo", 2, next_in_days=10, hour=11, interval_days=14),
        ClientSpec("Priyanka", "Shah", "Lower back", "demo", 1, next_in_days=5, hour=13, consent_email=False),
        ClientSpec("Rachel", "Moore", "Neck and shoulders", "owner", 6, next_in_days=None, hour=14, starting_pain=5),
        ClientSpec("Samuel", "Adeyemi", "Lower back", "demo", 3, next_in_days=11, hour=15, interval_days=10),
        ClientSpec("Teresa", "Costa", "Upper back", "maya.okafor", 4, next_in_days=12, hour=10, prefers_hands=True,
                   routine_time=dt.time(19, 30), consent_email=True),
    ],
)  # fmt: skip

HARBOUR = ClinicSpec(
    slug="harbour",
    name="Harbour Reflexology",
    timezone="Europe/London",
    email="bookings@harbour-reflexology.example.com",
    phone="0117 496 0123",
    address="3 Quay Street\nBristol BS1 4DB",
    staff=[
        StaffSpec("harbour.owner", "Nadia", "Price", User.Role.OWNER),
        StaffSpec("harbour.owen", "Owen", "Lloyd", User.Role.PRACTITIONER),
    ],
    clients=[
        ClientSpec("Bethan", "Morgan", "Lower back", "harbour.owen", 3, next_in_days=0, hour=10),
        ClientSpec("Callum", "Reid", "Neck and shoulders", "harbour.owen", 2, next_in_days=2, hour=14),
        ClientSpec("Deborah", "Lane", "Lower back", "harbour.owner", 4, next_in_days=6, hour=11,
                   flags=(HealthFlag.FEET_INJURED,)),
        ClientSpec("Edwin", "Marsh", "Relaxation and sleep", "harbour.owner", 1, next_in_days=None, hour=15),
    ],
)  # fmt: skip
