"""The scripted user's telecom rule: agent instructions -> phone tool calls."""

from __future__ import annotations

import pytest

from agentcl.domains.telecom.scripted_rules import user_tool_rule
from agentcl.registry import load_domain
from agentcl.users.scripted_logic import user_tool_rule_for


@pytest.fixture(scope="module")
def schemas():
    return load_domain("telecom").make_environment().user_tool_schemas()


CASES = [
    ("Could you check your status bar and tell me what it shows?", [("check_status_bar", {})]),
    ("Is airplane mode on?", [("check_network_status", {})]),
    ("Please turn off airplane mode.", [("toggle_airplane_mode", {})]),
    ("I have enabled roaming on your line. Now please turn on data roaming on your phone.",
     [("toggle_roaming", {})]),
    ("Please reset your APN settings and then restart your phone.",
     [("reset_apn_settings", {}), ("reboot_device", {})]),
    ("Please grant the storage and sms permissions to the messaging app.",
     [("grant_app_permission", {"app_name": "messaging", "permission": "sms"}),
      ("grant_app_permission", {"app_name": "messaging", "permission": "storage"})]),
    ("Can you set your network mode to 4G/5G preferred?", [("set_network_mode_preference", {"mode": "4g_5g_preferred"})]),
    ("Please change your preferred network to 3g_only.", [("set_network_mode_preference", {"mode": "3g_only"})]),
    ("Please run a speed test.", [("run_speed_test", {})]),
    ("I sent a payment request. Please check your payment requests and pay the bill.",
     [("check_payment_request", {}), ("make_payment", {})]),
    ("Let's try sending a picture message to test MMS.", [("can_send_mms", {})]),
    ("Please disconnect your VPN.", [("disconnect_vpn", {})]),
    ("Please turn off Data Saver and Wi-Fi calling.", [("toggle_data_saver_mode", {}), ("toggle_wifi_calling", {})]),
    ("Please use `toggle_data` to turn mobile data on.", [("toggle_data", {})]),
    ("Could you take the SIM card out and put it back in?", [("reseat_sim_card", {})]),
    ("Please check your SIM status.", [("check_sim_status", {})]),
    ("Please check the permissions of the messaging app.", [("check_app_permissions", {"app_name": "messaging"})]),
    # the agent reporting its own work, or closing, asks nothing of the phone
    ("Your mobile data is now working. Is there anything else I can help with?", []),
    ("Thanks, your line has been resumed.", []),
    ("I have refuelled 2 GB of data on your line.", []),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_rule_maps_instructions_to_phone_tools(schemas, text, expected):
    calls = user_tool_rule(text, schemas)
    assert [(c.name, c.arguments) for c in calls] == expected
    assert all(c.requestor == "user" for c in calls)


def test_rule_only_offers_tools_the_user_has(schemas):
    only_reads = [s for s in schemas if s["function"]["name"].startswith("check_")]
    calls = user_tool_rule("Please turn off airplane mode and check your status bar.", only_reads)
    assert [c.name for c in calls] == ["check_network_status", "check_status_bar"]


def test_scripted_user_finds_the_telecom_rule():
    assert user_tool_rule_for("telecom") is user_tool_rule
