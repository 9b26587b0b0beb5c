"""The catalogue of phone and account faults the generator combines into tasks.

A fault knows how to break a healthy phone/account (initialization actions) and the gold actions
that fix it, which issue areas it breaks, and which other faults it cannot be combined with.
Areas: service (no network), data (no mobile data), speed (mobile data not Excellent), mms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

GOOD_NETWORK_MODE = "4g_5g_preferred"


@dataclass
class Case:
    """The customer, line and amounts one task is about."""

    customer_id: str
    line_id: str
    name: str
    phone_number: str
    overdue_bill_id: str
    refuel_gb: float = 2.0
    data_used_gb: float = 0.0


def user_fn(name: str, **arguments: Any) -> dict[str, Any]:
    return {"env_type": "user", "func_name": name, "arguments": arguments}


def agent_fn(name: str, **arguments: Any) -> dict[str, Any]:
    return {"env_type": "assistant", "func_name": name, "arguments": arguments}


def check(env_type: str, name: str, **arguments: Any) -> dict[str, Any]:
    """An env assertion that must return True."""
    return {"env_type": env_type, "func_name": name, "arguments": arguments, "assert_value": True, "message": None}


def user_act(name: str, **arguments: Any) -> tuple[str, str, dict[str, Any]]:
    return ("user", name, arguments)


def agent_act(name: str, **arguments: Any) -> tuple[str, str, dict[str, Any]]:
    return ("assistant", name, arguments)


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: frozenset[str]
    group: str  # two faults of one group never go into one task
    setup: Callable[[Case], list[dict[str, Any]]]
    fix: Callable[[Case], list[tuple[str, str, dict[str, Any]]]]
    symptom: str  # what the customer notices, for the ticket
    abroad: bool = False
    blocker: bool = False  # cannot be fixed by the agent: the task ends in a transfer
    extra_assertions: Callable[[Case], list[dict[str, Any]]] = field(default=lambda case: [])


def _ids(case: Case) -> dict[str, str]:
    return {"customer_id": case.customer_id, "line_id": case.line_id}


ALL_AREAS = frozenset({"service", "data", "speed", "mms"})
NO_DATA = frozenset({"data", "speed", "mms"})

FAULTS: dict[str, Fault] = {f.name: f for f in [
    # -- no service ----------------------------------------------------------------------------
    Fault("airplane_mode_on", ALL_AREAS, "airplane",
          lambda c: [user_fn("turn_airplane_mode_on")],
          lambda c: [user_act("toggle_airplane_mode")],
          "the phone was left in airplane mode",
          extra_assertions=lambda c: [check("user", "assert_airplane_mode_status", expected_status=False)]),
    Fault("sim_card_unseated", ALL_AREAS, "sim_seat",
          lambda c: [user_fn("unseat_sim_card")],
          lambda c: [user_act("reseat_sim_card")],
          "the SIM card is loose and not detected"),
    Fault("apn_broken", ALL_AREAS, "apn",
          lambda c: [user_fn("break_apn_settings")],
          lambda c: [user_act("reset_apn_settings"), user_act("reboot_device")],
          "the data APN setting is wrong"),
    Fault("overdue_bill_suspension", ALL_AREAS, "line",
          lambda c: [agent_fn("suspend_line_for_overdue_bill", **_ids(c), new_bill_id=c.overdue_bill_id,
                              contract_ended=False), user_fn("simulate_network_search")],
          lambda c: [agent_act("send_payment_request", customer_id=c.customer_id, bill_id=c.overdue_bill_id),
                     user_act("make_payment"), agent_act("resume_line", **_ids(c)), user_act("reboot_device")],
          "the line was suspended for an overdue bill",
          extra_assertions=lambda c: [check("assistant", "assert_no_overdue_bill",
                                            overdue_bill_id=c.overdue_bill_id)]),
    # -- no service, and nothing the agent may do about it ---------------------------------------
    Fault("sim_locked_pin", ALL_AREAS, "sim_lock",
          lambda c: [user_fn("lock_sim_card", mode="pin")], lambda c: [],
          "the SIM card is locked by its PIN", blocker=True),
    Fault("sim_locked_puk", ALL_AREAS, "sim_lock",
          lambda c: [user_fn("lock_sim_card", mode="puk")], lambda c: [],
          "the SIM card is locked by its PUK", blocker=True),
    Fault("contract_ended_suspension", ALL_AREAS, "line",
          lambda c: [agent_fn("suspend_line_for_overdue_bill", **_ids(c), new_bill_id=c.overdue_bill_id,
                              contract_ended=True), user_fn("simulate_network_search")],
          lambda c: [],
          "the line was suspended and its contract has ended", blocker=True),
    # -- no mobile data --------------------------------------------------------------------------
    Fault("mobile_data_off", NO_DATA, "data_switch",
          lambda c: [user_fn("turn_data_off")],
          lambda c: [user_act("toggle_data")],
          "mobile data is switched off on the phone"),
    Fault("roaming_off_on_phone", NO_DATA, "roaming",
          lambda c: [user_fn("set_user_location", abroad=True), user_fn("turn_roaming_off"),
                     agent_fn("enable_roaming", **_ids(c))],
          lambda c: [user_act("toggle_roaming")],
          "the phone's data roaming switch is off while abroad", abroad=True),
    Fault("roaming_off_on_line", NO_DATA, "roaming",
          lambda c: [user_fn("set_user_location", abroad=True), user_fn("turn_roaming_on"),
                     agent_fn("disable_roaming", **_ids(c))],
          lambda c: [agent_act("enable_roaming", **_ids(c))],
          "the line has no roaming while abroad", abroad=True),
    Fault("roaming_off_everywhere", NO_DATA, "roaming",
          lambda c: [user_fn("set_user_location", abroad=True), user_fn("turn_roaming_off"),
                     agent_fn("disable_roaming", **_ids(c))],
          lambda c: [agent_act("enable_roaming", **_ids(c)), user_act("toggle_roaming")],
          "neither the line nor the phone allows roaming while abroad", abroad=True),
    Fault("data_allowance_used_up", NO_DATA, "usage",
          lambda c: [agent_fn("set_data_usage", **_ids(c), data_used_gb=c.data_used_gb)],
          lambda c: [agent_act("refuel_data", **_ids(c), gb_amount=c.refuel_gb)],
          "the line has used its whole data allowance",
          extra_assertions=lambda c: [check("assistant", "assert_data_refueling_amount", **_ids(c),
                                            expected_amount=c.refuel_gb)]),
    # -- slow mobile data ------------------------------------------------------------------------
    Fault("data_saver_on", frozenset({"speed"}), "saver",
          lambda c: [user_fn("turn_data_saver_mode_on")],
          lambda c: [user_act("toggle_data_saver_mode")],
          "Data Saver is slowing the connection"),
    Fault("network_mode_3g", frozenset({"speed"}), "mode",
          lambda c: [user_fn("set_network_mode_preference", mode="3g_only")],
          lambda c: [user_act("set_network_mode_preference", mode=GOOD_NETWORK_MODE)],
          "the phone is restricted to 3G"),
    Fault("network_mode_2g", frozenset({"speed", "mms"}), "mode",
          lambda c: [user_fn("set_network_mode_preference", mode="2g_only")],
          lambda c: [user_act("set_network_mode_preference", mode=GOOD_NETWORK_MODE)],
          "the phone is restricted to 2G"),
    Fault("slow_vpn", frozenset({"speed"}), "vpn",
          lambda c: [user_fn("break_vpn")],
          lambda c: [user_act("disconnect_vpn")],
          "a slow VPN server is connected"),
    # -- MMS only --------------------------------------------------------------------------------
    Fault("wifi_calling_mms", frozenset({"mms"}), "wifi_calling",
          lambda c: [user_fn("set_wifi_calling", enabled=True, mms_over_wifi=True)],
          lambda c: [user_act("toggle_wifi_calling")],
          "Wi-Fi Calling routes MMS over Wi-Fi"),
    Fault("mmsc_url_missing", frozenset({"mms"}), "apn",
          lambda c: [user_fn("break_apn_mms_setting")],
          lambda c: [user_act("reset_apn_settings"), user_act("reboot_device")],
          "the MMSC URL is missing from the APN settings"),
    Fault("messaging_sms_permission", frozenset({"mms"}), "perm_sms",
          lambda c: [user_fn("remove_app_permission", app_name="messaging", permission="sms")],
          lambda c: [user_act("grant_app_permission", app_name="messaging", permission="sms")],
          "the messaging app lost its SMS permission"),
    Fault("messaging_storage_permission", frozenset({"mms"}), "perm_storage",
          lambda c: [user_fn("remove_app_permission", app_name="messaging", permission="storage")],
          lambda c: [user_act("grant_app_permission", app_name="messaging", permission="storage")],
          "the messaging app lost its storage permission"),
]}

# The order in which the manual troubleshoots, so gold fixes follow it.
FIX_ORDER = list(FAULTS)
