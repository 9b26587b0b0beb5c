"""Seeded generator of the telecom domain's default data: a back office, a healthy phone, and
broken-phone tasks (no service, no or slow mobile data, failing MMS, combinations of these, with
personas). A sampled task is kept only when check-data's verifier passes it: its gold fix
works, the phone is broken without it, and the task cannot do without any fault's fix or
without its last gold action (otherwise another task is drawn).

Writes db.json, user_db.json, tasks.json, split_tasks.json, main_policy.md, tech_support_manual.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ...errors import DataError
from ..base import dump_json
from ..generation import TaskFamily, Verifier, family_registry, generated_task, make_splits
from . import phone as ph
from .backoffice import validate_back_office
from .faults import FAULTS, FIX_ORDER, Case, Fault, check
from .policy_text import MAIN_POLICY, TECH_SUPPORT_MANUAL

SPEED_TARGET_MBPS = 100.0  # "Excellent" starts here; the fixed phone reaches it only with every slowdown gone
MAX_ATTEMPTS_PER_TASK = 50
MAX_CUSTOMERS = 50  # tasks share customers beyond this; a bigger back office only slows every replay

PLANS = [  # plan_id, name, GB per month, price per month, refuel price per GB
    ("P2001", "Lite 3GB", 3.0, 25.0, 6.0),
    ("P2002", "Standard 10GB", 10.0, 45.0, 4.0),
    ("P2003", "Plus 30GB", 30.0, 65.0, 2.5),
    ("P2004", "Unlimited Max", 1000.0, 90.0, 0.5),
    ("P2005", "Tablet 5GB", 5.0, 20.0, 5.0),
]
PHONE_MODELS = ["Nova 12", "Aster Pro", "Kite Mini", "Orbit S", "Pulse 5G", "Vela Max"]
TABLET_MODELS = ["Slate 10", "Folio Tab"]
FIRST_NAMES = ["Amara", "Bruno", "Carmen", "Dmitri", "Esther", "Farid", "Greta", "Hiro", "Ines", "Jonas",
               "Keiko", "Luis", "Maya", "Nikolai", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tamsin"]
LAST_NAMES = ["Abara", "Bergstrom", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gallo", "Hoffmann",
              "Iwata", "Jensen", "Kowalski", "Lindqvist", "Moreno", "Nakamura", "Oyelaran", "Petrov"]
TOWNS = [("Maple Grove", "MN", "55311"), ("Cedar Falls", "IA", "50613"), ("Riverton", "WY", "82501"),
         ("Lakewood", "CO", "80226"), ("Fairview", "OR", "97024"), ("Brookhaven", "GA", "30319")]
STREETS = ["Birch Lane", "Harbor Road", "Mill Street", "Orchard Way", "Summit Avenue", "Willow Court"]
COUNTRIES = ["France", "Japan", "Mexico", "Italy", "Portugal", "Kenya", "Australia", "Canada"]
PAYMENT_TYPES = ["Credit Card", "Debit Card", "PayPal"]

PERSONAS: dict[str, str | None] = {
    "none": None,
    "calm": ("You are a 35-year-old nurse who uses your phone all day. You know the common settings, stay "
             "polite and patient, and describe exactly what you see on the screen."),
    "busy": ("You are a contractor calling between two jobs. You write short messages, are a little "
             "impatient, and want the quickest fix that works."),
    "anxious": ("You are 70 and almost never change anything on your phone. Technical words confuse you, you "
                "worry that changing a setting will delete your photos, and you need reassurance before each "
                "step. You only answer what you are asked."),
}

CATEGORIES = ("service_issue", "mobile_data_issue", "mms_issue")
# One family per category; whether a task writes depends on its faults (a transfer may fix nothing).
FAMILIES = family_registry([TaskFamily(category, build=None, writes=None) for category in CATEGORIES])
CATEGORY_TEXT = {
    "service_issue": dict(
        reason="Your phone has no signal: you cannot call, text or use mobile data. You want service back.",
        done="The issue is solved only when your status bar shows signal bars again.",
        ticket="no cellular service", ticket_done="Resolved when the status bar shows signal again."),
    "mobile_data_issue": dict(
        reason=("Mobile data on your phone is not working well: it either does not connect at all or is very "
                "slow. You need fast mobile internet, and there is no Wi-Fi where you are."),
        done="The issue is solved only when run_speed_test rates your speed Excellent; any other rating is not good enough.",
        ticket="mobile data not working or slow",
        ticket_done="Resolved only when a speed test on the phone rates the connection Excellent."),
    "mms_issue": dict(
        reason="You cannot send picture messages (MMS) from your phone. You want them to work.",
        done="The issue is solved only when can_send_mms reports that the message was sent.",
        ticket="picture messages (MMS) fail", ticket_done="Resolved when a test MMS goes through."),
}


# -- back office ---------------------------------------------------------------------------
def _iso(day: date) -> str:
    return day.isoformat()


def _random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def build_back_office(rng: random.Random, n_customers: int) -> dict[str, Any]:
    plans = [{"plan_id": pid, "name": name, "data_limit_gb": gb, "price_per_month": price,
              "data_refueling_price_per_gb": refuel} for pid, name, gb, price, refuel in PLANS]
    plan_by_id = {p["plan_id"]: p for p in plans}
    customers, lines, devices, bills = [], [], [], []
    used_numbers: set[str] = set()
    n_line = n_device = n_bill = 0
    for k in range(n_customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        customer_id = f"C{2001 + k}"
        line_ids, bill_ids = [], []
        for j in range(rng.choice([1, 1, 2, 2, 3])):
            n_line += 1
            n_device += 1
            is_tablet = j > 0 and rng.random() < 0.25
            while True:
                number = f"555-{rng.randint(200, 899)}-{rng.randint(1000, 9999)}"
                if number not in used_numbers:
                    used_numbers.add(number)
                    break
            plan_id = "P2005" if is_tablet else rng.choice(["P2001", "P2002", "P2002", "P2003", "P2004"])
            limit = plan_by_id[plan_id]["data_limit_gb"]
            device_id, line_id = f"D{3000 + n_device}", f"L{4000 + n_line}"
            activated = _random_day(rng, date(2023, 1, 1), date(2024, 12, 31))
            devices.append({
                "device_id": device_id, "device_type": "tablet" if is_tablet else "phone",
                "model": rng.choice(TABLET_MODELS if is_tablet else PHONE_MODELS),
                "imei": "".join(str(rng.randint(0, 9)) for _ in range(15)),
                "is_esim_capable": rng.random() < 0.7, "activated": True,
                "activation_date": _iso(activated) + "T10:00:00", "last_esim_transfer_date": None,
            })
            suspended = j > 0 and rng.random() < 0.15  # a few spare lines are suspended, never a task's line
            lines.append({
                "line_id": line_id, "phone_number": number,
                "status": "Suspended" if suspended else "Active",
                "plan_id": plan_id, "device_id": device_id,
                "data_used_gb": round(min(limit, 40.0) * rng.uniform(0.05, 0.7), 1),
                "data_refueling_gb": 0.0, "roaming_enabled": rng.random() < 0.4,
                "contract_end_date": _iso(_random_day(rng, date(2025, 9, 1), date(2027, 12, 31))),
                "last_plan_change_date": _iso(_random_day(rng, date(2024, 1, 1), date(2025, 1, 31))),
                "last_sim_replacement_date": None,
                "suspension_start_date": "2025-01-20" if suspended else None,
            })
            line_ids.append(line_id)
        own_lines = [ln for ln in lines if ln["line_id"] in line_ids]
        items = [{"plan": plan_by_id[ln["plan_id"]], "number": ln["phone_number"]} for ln in own_lines]
        for month, status in ((1, "Paid"), (2, rng.choice(["Paid", "Issued"]))):
            n_bill += 1
            start = date(2025, month, 1)
            issued = start + timedelta(days=4)
            line_items = [{"description": f"{it['plan']['name']} - Line {it['number']}",
                           "amount": it["plan"]["price_per_month"], "date": _iso(issued),
                           "item_type": "Plan Charge"} for it in items]
            bills.append({
                "bill_id": f"B{1000 + n_bill}", "customer_id": customer_id,
                "period_start": _iso(start), "period_end": _iso((start + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
                "issue_date": _iso(issued), "total_due": round(sum(i["amount"] for i in line_items), 2),
                "due_date": _iso(issued + timedelta(days=25)), "status": status, "line_items": line_items,
            })
            bill_ids.append(f"B{1000 + n_bill}")
        town, state, zip_code = rng.choice(TOWNS)
        customers.append({
            "customer_id": customer_id, "full_name": f"{first} {last}",
            "date_of_birth": _iso(_random_day(rng, date(1950, 1, 1), date(2003, 12, 31))),
            "email": f"{first}.{last}{k}@example.com".lower(),
            "phone_number": own_lines[0]["phone_number"],
            "address": {"street": f"{rng.randint(1, 999)} {rng.choice(STREETS)}", "city": town,
                        "state": state, "zip_code": zip_code},
            "account_status": "Active",
            "created_at": _iso(_random_day(rng, date(2020, 1, 1), date(2024, 6, 30))) + "T09:00:00",
            "last_extension_date": None,
            "goodwill_credit_used_this_year": rng.choice([0.0, 0.0, 10.0, 25.0]),
            "payment_methods": [{"method_type": rng.choice(PAYMENT_TYPES),
                                 "account_number_last_4": f"{rng.randint(0, 9999):04d}",
                                 "expiration_date": f"{rng.randint(1, 12):02d}/{rng.randint(2025, 2029)}"}
                                for _ in range(rng.choice([1, 1, 2]))],
            "line_ids": line_ids, "bill_ids": bill_ids,
        })
    return {"plans": plans, "devices": devices, "lines": lines, "customers": customers, "bills": bills}


def healthy_phone() -> dict[str, Any]:
    return {"device": ph.default_device(), "surroundings": ph.default_surroundings()}


# -- tasks ---------------------------------------------------------------------------------
@dataclass
class Draft:
    """One sampled task before it is written: its faults, case and persona."""

    category: str
    faults: list[Fault]
    case: Case
    persona: str
    country: str | None


def _pick(rng: random.Random, pool: list[Fault], count: int, taken: list[Fault]) -> list[Fault]:
    chosen = list(taken)
    candidates = [f for f in pool if f not in chosen]
    rng.shuffle(candidates)
    for fault in candidates:
        if len(chosen) - len(taken) >= count:
            break
        if all(fault.group != c.group for c in chosen):
            chosen.append(fault)
    return chosen


def sample_faults(rng: random.Random, category: str) -> list[Fault]:
    fixable = [f for f in FAULTS.values() if not f.blocker]
    count = rng.choices([1, 2, 3], weights=[4, 4, 2])[0]
    if category == "service_issue":
        if rng.random() < 0.2:  # unfixable: at most the airplane mode is fixed before the transfer
            blocker = rng.choice([f for f in FAULTS.values() if f.blocker])
            return [blocker] + ([FAULTS["airplane_mode_on"]] if rng.random() < 0.4 else [])
        pool = [f for f in fixable if "service" in f.breaks]
        return _pick(rng, pool, min(count, 2), [])
    service = [f for f in fixable if "service" in f.breaks]
    if category == "mobile_data_issue":
        pool = [f for f in fixable if f.breaks & {"data", "speed"} and "service" not in f.breaks]
        chosen = _pick(rng, pool, count, [])
    else:
        core = [f for f in fixable if f.breaks == frozenset({"mms"}) or f.name == "network_mode_2g"]
        chosen = _pick(rng, core, 1, [])
        extra = [f for f in fixable if "mms" in f.breaks and "service" not in f.breaks]
        chosen = _pick(rng, extra, count - 1, chosen)
    if rng.random() < 0.15:
        chosen = _pick(rng, service, 1, chosen)
    return chosen


def _eligible_lines(db: dict[str, Any], needs_small_plan: bool) -> list[tuple[dict, dict]]:
    plans = {p["plan_id"]: p for p in db["plans"]}
    devices = {d["device_id"]: d for d in db["devices"]}
    out = []
    for customer in db["customers"]:
        for line in db["lines"]:
            if line["line_id"] not in customer["line_ids"] or line["status"] != "Active":
                continue
            if devices[line["device_id"]]["device_type"] != "phone":
                continue
            if needs_small_plan and plans[line["plan_id"]]["data_limit_gb"] >= 100:
                continue
            out.append((customer, line))
    return out


def sample_draft(rng: random.Random, db: dict[str, Any], index: int, category: str,
                 eligible: dict[bool, list[tuple[dict, dict]]] | None = None) -> Draft:
    """One task's faults, customer, line and persona. `eligible` caches _eligible_lines per plan need."""
    faults = sample_faults(rng, category)
    needs_small_plan = any(f.name == "data_allowance_used_up" for f in faults)
    lines = eligible[needs_small_plan] if eligible else _eligible_lines(db, needs_small_plan)
    customer, line = rng.choice(lines)
    limit = next(p["data_limit_gb"] for p in db["plans"] if p["plan_id"] == line["plan_id"])
    refuel = rng.choice([1.0, 1.5, 2.0])
    case = Case(customer_id=customer["customer_id"], line_id=line["line_id"], name=customer["full_name"],
                phone_number=line["phone_number"], overdue_bill_id=f"B{80000 + index}", refuel_gb=refuel,
                data_used_gb=round(limit + rng.choice([0.1, 0.2, 0.3, 0.5]), 1))
    country = rng.choice(COUNTRIES) if any(f.abroad for f in faults) else None
    return Draft(category, sorted(faults, key=lambda f: FIX_ORDER.index(f.name)), case,
                 rng.choice(list(PERSONAS)), country)


def build_task(task_id: str, draft: Draft) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The task dict, and for each fixable fault the indices of the gold actions that fix it."""
    case, faults = draft.case, draft.faults
    transfer = any(f.blocker for f in faults)
    init = [{"env_type": "user", "func_name": "set_user_info",
             "arguments": {"name": case.name, "phone_number": case.phone_number}}]
    actions: list[dict[str, Any]] = []
    fault_fixes: dict[str, list[int]] = {}
    for fault in faults:
        init += fault.setup(case)
        if fault.blocker:
            continue
        start = len(actions)
        for requestor, name, arguments in fault.fix(case):
            actions.append({"action_id": f"{name}_{len(actions)}", "requestor": requestor, "name": name,
                            "arguments": arguments, "info": None, "compare_args": None})
        fault_fixes[fault.name] = list(range(start, len(actions)))
    blocker = next((f for f in faults if f.blocker), None)
    if blocker is not None:
        actions.append({"action_id": f"transfer_to_human_agents_{len(actions)}", "requestor": "assistant",
                        "name": "transfer_to_human_agents",
                        "arguments": {"summary": f"Cannot restore service: {blocker.symptom}."},
                        "info": None, "compare_args": []})

    if transfer:
        assertions = [check("user", "assert_service_status", expected_status="no_service")]
    elif draft.category == "service_issue":
        assertions = [check("user", "assert_service_status", expected_status="connected")]
    elif draft.category == "mobile_data_issue":
        assertions = [check("user", "assert_mobile_data_status", expected_status=True),
                      check("user", "assert_internet_speed", expected_speed=SPEED_TARGET_MBPS,
                                 expected_desc="excellent")]
    else:
        assertions = [check("user", "assert_can_send_mms", expected_status=True)]
    for fault in faults:
        assertions += fault.extra_assertions(case)

    text = CATEGORY_TEXT[draft.category]
    known = f"You are {case.name}. The phone number of your phone is {case.phone_number}."
    if draft.country:
        known += f" You are travelling in {draft.country}."
    steps = ["Do the steps the agent asks for on your phone, one at a time, and tell the agent what happened.",
             "Everything you say about your phone must come from the results of your phone tools; never guess "
             "what the screen shows, and call a check tool again when you need fresh information.",
             text["done"]]
    names = {f.name for f in faults}
    if "data_allowance_used_up" in names:
        steps.append(f"If the agent offers to refuel data, ask for exactly {case.refuel_gb:g} GB and accept its "
                     "price. You do not want to change your plan.")
    if "overdue_bill_suspension" in names:
        steps.append("If the agent sends you a payment request, check it on your phone and pay it.")
    steps.append("If the agent transfers you to a human agent, end the conversation.")
    ticket = (f"{case.name}, phone number {case.phone_number}"
              + (f", currently travelling in {draft.country}" if draft.country else "")
              + f". Reported problem: {text['ticket']}. {text['ticket_done']}")
    task = {
        "id": task_id,
        "description": {"purpose": f"{draft.category.replace('_', ' ')}: " + ", ".join(f.name for f in faults),
                        "relevant_policies": None,
                        "notes": f"persona: {draft.persona}; transfer expected: {transfer}"},
        "user_scenario": {
            "persona": PERSONAS[draft.persona],
            "instructions": {"domain": "telecom", "reason_for_call": text["reason"], "known_info": known,
                             "unknown_info": "You do not know what is causing the problem.",
                             "task_instructions": "\n".join(steps)},
        },
        "ticket": ticket,
        "initial_state": {"initialization_data": None, "initialization_actions": init, "message_history": None},
        "evaluation_criteria": {
            "actions": actions, "env_assertions": assertions, "communicate_info": [], "nl_assertions": [],
            "reward_basis": ["ENV_ASSERTION", "ACTION"] if transfer else ["ENV_ASSERTION"],
        },
    }
    return task, fault_fixes


def needed_groups(task: dict[str, Any], fault_fixes: dict[str, list[int]]) -> dict[str, list[int]]:
    """The gold actions a fixable task cannot do without: each fault's fix, and its last action
    (a transfer task has nothing to fix)."""
    actions = task["evaluation_criteria"]["actions"]
    if any(a["name"] == "transfer_to_human_agents" for a in actions):
        return {}
    return {**{f"fix of {fault}": indices for fault, indices in fault_fixes.items()},
            "last gold action": [len(actions) - 1]}


def generate_tasks(db: dict[str, Any], user_db: dict[str, Any], seed: int, num_tasks: int,
                   verify: Verifier) -> list[dict[str, Any]]:
    rng = random.Random(f"telecom-tasks-{seed}")
    eligible = {need: _eligible_lines(db, need) for need in (False, True)}
    tasks = []
    for index in range(num_tasks):
        category = CATEGORIES[index % len(CATEGORIES)]
        task_id = f"telecom_{index:03d}_{category}"
        for _ in range(MAX_ATTEMPTS_PER_TASK):
            task, fault_fixes = build_task(task_id, sample_draft(rng, db, index, category, eligible))
            candidate = generated_task(task, FAMILIES[category], needed_groups(task, fault_fixes))
            if not verify(db, [candidate], user_db):
                tasks.append(task)
                break
        else:  # the catalogue is built so this does not happen; fail loudly if it ever does
            raise DataError(f"no verifiable telecom task found in {MAX_ATTEMPTS_PER_TASK} samples", task_id=task_id)
    return tasks


def generate(out_dir: Path, seed: int, num_tasks: int, verify: Verifier) -> None:
    if num_tasks < 1:
        raise ValueError("num_tasks must be at least 1")
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    db = build_back_office(rng, n_customers=min(MAX_CUSTOMERS, max(12, num_tasks // 5)))
    validate_back_office(db)
    user_db = healthy_phone()
    tasks = generate_tasks(db, user_db, seed, num_tasks, verify)
    dump_json(out_dir / "db.json", db)
    dump_json(out_dir / "user_db.json", user_db)
    dump_json(out_dir / "tasks.json", tasks)
    dump_json(out_dir / "split_tasks.json", make_splits([t["id"] for t in tasks], seed))
    (out_dir / "main_policy.md").write_text(MAIN_POLICY.strip() + "\n", encoding="utf-8")
    (out_dir / "tech_support_manual.md").write_text(TECH_SUPPORT_MANUAL.strip() + "\n", encoding="utf-8")
