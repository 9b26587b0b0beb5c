"""Telecom tools: the 13 back-office tools, the 30 phone tools, the phone's rules and the sync step."""

from __future__ import annotations

import json

import pytest

from agentcl.data_model import EnvFunctionCall, ToolCall
from agentcl.domains.telecom import DOMAIN
from agentcl.domains.telecom.tools import TelecomAgentTools
from agentcl.domains.telecom.user_tools import TelecomUserTools
from agentcl.registry import load_domain
from helpers import REFERENCE_DATA

AGENT_TOOLS = {
    "get_customer_by_phone", "get_customer_by_id", "get_customer_by_name", "get_details_by_id", "suspend_line",
    "resume_line", "get_bills_for_customer", "send_payment_request", "get_data_usage", "enable_roaming",
    "disable_roaming", "transfer_to_human_agents", "refuel_data",
}
USER_TOOLS = {
    "check_status_bar", "check_network_status", "check_network_mode_preference", "set_network_mode_preference",
    "run_speed_test", "toggle_airplane_mode", "check_sim_status", "reseat_sim_card", "toggle_data",
    "toggle_roaming", "check_data_restriction_status", "toggle_data_saver_mode", "check_apn_settings",
    "set_apn_settings", "reset_apn_settings", "check_wifi_status", "toggle_wifi", "check_wifi_calling_status",
    "toggle_wifi_calling", "check_vpn_status", "connect_vpn", "disconnect_vpn", "check_installed_apps",
    "check_app_status", "check_app_permissions", "grant_app_permission", "can_send_mms", "reboot_device",
    "check_payment_request", "make_payment",
}


@pytest.fixture(scope="module")
def reference():
    """τ²-bench's reference back office and phone (tests only)."""
    return load_domain("telecom", REFERENCE_DATA)


@pytest.fixture
def env(reference):
    """A reference environment with the phone belonging to John Smith's line L1002."""
    environment = reference.make_environment()
    environment.run_function(EnvFunctionCall(env_type="user", func_name="set_user_info",
                                             arguments={"name": "John Smith", "phone_number": "555-123-2002"}))
    return environment


def agent(env, name, **arguments):
    return env.get_response(ToolCall(name=name, arguments=arguments, requestor="assistant"))


def user(env, name, **arguments):
    return env.get_response(ToolCall(name=name, arguments=arguments, requestor="user"))


def setup(env, side, function, **arguments):
    return env.run_function(EnvFunctionCall(env_type=side, func_name=function, arguments=arguments))


def phone(env):
    return env.user_tools.data


def line(env, line_id):
    return next(x for x in env.agent_tools.data["lines"] if x["line_id"] == line_id)


def bill(env, bill_id):
    return next(x for x in env.agent_tools.data["bills"] if x["bill_id"] == bill_id)


def test_tool_names_and_schemas_match_tau2():
    assert set(TelecomAgentTools.tool_names()) == AGENT_TOOLS
    assert set(TelecomUserTools.tool_names()) == USER_TOOLS
    env = load_domain("telecom").make_environment()
    for schema in env.agent_tool_schemas() + env.user_tool_schemas():
        fn = schema["function"]
        assert fn["description"], fn["name"]
        for arg, prop in fn["parameters"]["properties"].items():
            assert prop.get("description") or "$ref" in prop or "anyOf" in prop, (fn["name"], arg)
    refuel = next(s for s in env.agent_tool_schemas() if s["function"]["name"] == "refuel_data")
    assert refuel["function"]["parameters"]["required"] == ["customer_id", "line_id", "gb_amount"]


# -- back office ---------------------------------------------------------------------------
def test_customer_lookups(env):
    by_phone = json.loads(agent(env, "get_customer_by_phone", phone_number="(555) 123-2001").content)
    assert by_phone["customer_id"] == "C1001"  # a line's number finds its owner, whatever the format
    assert json.loads(agent(env, "get_customer_by_id", customer_id="C1002").content)["full_name"] == "Sarah Johnson"
    found = json.loads(agent(env, "get_customer_by_name", full_name="john  SMITH", dob="1985-06-15").content)
    assert [c["customer_id"] for c in found] == ["C1001"]
    assert json.loads(agent(env, "get_customer_by_name", full_name="John Smith", dob="1985-06-16").content) == []
    assert json.loads(agent(env, "get_details_by_id", id="P1002").content)["name"] == "Premium Plan"
    assert json.loads(agent(env, "get_details_by_id", id="D1003").content)["device_type"] == "tablet"
    for name, args in [("get_customer_by_phone", {"phone_number": "555-000-0000"}),
                       ("get_customer_by_id", {"customer_id": "C9999"}),
                       ("get_details_by_id", {"id": "X1"})]:
        reply = agent(env, name, **args)
        assert reply.error and reply.content.startswith("Error:"), name


def test_bills_newest_first_and_payment_request_rules(env):
    bills = json.loads(agent(env, "get_bills_for_customer", customer_id="C1001", limit=2).content)
    assert [b["bill_id"] for b in bills] == ["B1003", "B1002"]
    assert agent(env, "get_bills_for_customer", customer_id="C1001", limit=0).error
    assert agent(env, "send_payment_request", customer_id="C1001", bill_id="B1004").error  # not C1001's bill
    ok = agent(env, "send_payment_request", customer_id="C1001", bill_id="B1002")
    assert not ok.error and bill(env, "B1002")["status"] == "Awaiting Payment"
    second = agent(env, "send_payment_request", customer_id="C1001", bill_id="B1001")
    assert second.error and "already has a bill awaiting payment" in second.content


def test_suspend_resume_and_ownership(env):
    assert agent(env, "suspend_line", customer_id="C1002", line_id="L1002", reason="x").error  # not theirs
    assert agent(env, "resume_line", customer_id="C1001", line_id="L1001").error  # already active
    assert not agent(env, "suspend_line", customer_id="C1001", line_id="L1001", reason="travel").error
    assert line(env, "L1001")["status"] == "Suspended" and line(env, "L1001")["suspension_start_date"] == "2025-02-25"
    assert agent(env, "suspend_line", customer_id="C1001", line_id="L1001", reason="again").error
    assert not agent(env, "resume_line", customer_id="C1001", line_id="L1001").error
    assert line(env, "L1001")["status"] == "Active" and line(env, "L1001")["suspension_start_date"] is None


def test_usage_roaming_and_refuel_charges_the_draft_bill(env):
    usage = json.loads(agent(env, "get_data_usage", customer_id="C1001", line_id="L1002").content)
    assert usage == {"line_id": "L1002", "data_used_gb": 8.7, "data_limit_gb": 15.0, "data_refueling_gb": 0.0,
                     "cycle_end_date": "2025-02-28"}
    assert "already enabled" in agent(env, "enable_roaming", customer_id="C1001", line_id="L1002").content
    assert not agent(env, "disable_roaming", customer_id="C1001", line_id="L1002").error
    assert line(env, "L1002")["roaming_enabled"] is False
    assert agent(env, "refuel_data", customer_id="C1001", line_id="L1002", gb_amount=0).error
    assert agent(env, "refuel_data", customer_id="C1001", line_id="L1002", gb_amount="lots").error
    result = json.loads(agent(env, "refuel_data", customer_id="C1001", line_id="L1002", gb_amount=2.0).content)
    assert result["charge"] == "4.0" and line(env, "L1002")["data_refueling_gb"] == 2.0  # τ²-bench shows text
    draft = bill(env, "B1003")  # C1001's existing draft bill takes the charge
    assert draft["total_due"] == 4.0 and draft["line_items"][-1]["amount"] == 4.0
    # a customer without a draft bill gets a new one with a deterministic id
    agent(env, "refuel_data", customer_id="C1002", line_id="L1004", gb_amount=1.0)
    customer = json.loads(agent(env, "get_customer_by_id", customer_id="C1002").content)
    assert customer["bill_ids"][-1] == "B1007" and bill(env, "B1007")["status"] == "Draft"
    assert agent(env, "transfer_to_human_agents", summary="help").content == "Transfer successful"


def test_bad_arguments_are_refused_not_raised(env):
    reply = agent(env, "get_data_usage", customer_id="C1001")
    assert reply.error and "line_id" in reply.content
    reply = agent(env, "refuel_data", customer_id="C1001", line_id="L1002", gb_amount=1, extra=True)
    assert reply.error


# -- the phone -----------------------------------------------------------------------------
def test_reference_phone_starts_healthy(env):
    assert "📶³ Good | 5G | 📱 Data Enabled" in user(env, "check_status_bar").content  # τ²-bench's icons
    assert "Excellent" in user(env, "run_speed_test").content
    assert "can send MMS" in user(env, "can_send_mms").content
    assert "active and working" in user(env, "check_sim_status").content
    assert user(env, "check_installed_apps").content == "Installed apps: browser, messaging"
    assert "sms: granted" in user(env, "check_app_permissions", app_name="messaging").content
    assert user(env, "check_app_status", app_name="camera").error


def test_airplane_mode_and_sim(env):
    user(env, "toggle_airplane_mode")
    assert phone(env)["device"]["network_connection_status"] == "no_service"
    assert user(env, "toggle_wifi").error  # radios are locked in airplane mode
    assert "Airplane Mode" in user(env, "check_status_bar").content
    user(env, "toggle_airplane_mode")
    assert phone(env)["device"]["network_connection_status"] == "connected"
    setup(env, "user", "unseat_sim_card")
    assert "not detected" in user(env, "check_sim_status").content
    assert "📵 No Signal | 📵 Data Disabled" in user(env, "check_status_bar").content
    user(env, "reseat_sim_card")
    assert phone(env)["device"]["network_technology_connected"] == "5G"
    setup(env, "user", "lock_sim_card", mode="puk")
    user(env, "reseat_sim_card")
    assert phone(env)["device"]["network_connection_status"] == "no_service"  # a locked SIM stays locked


def test_speed_depends_on_every_slowdown(env):
    user(env, "set_network_mode_preference", mode="3g_only")
    assert "(Poor)" in user(env, "run_speed_test").content
    assert user(env, "set_network_mode_preference", mode="6g_turbo").error
    user(env, "set_network_mode_preference", mode="4g_5g_preferred")
    user(env, "toggle_data_saver_mode")
    assert "(Good)" in user(env, "run_speed_test").content
    assert "Data Saver: ON" in user(env, "check_data_restriction_status").content
    user(env, "toggle_data_saver_mode")
    setup(env, "user", "break_vpn")
    assert "server_performance: poor" in user(env, "check_vpn_status").content
    assert "30.00 Mbps (Good)" in user(env, "run_speed_test").content
    user(env, "disconnect_vpn")
    assert "(Excellent)" in user(env, "run_speed_test").content
    user(env, "connect_vpn")  # a healthy VPN costs no speed
    assert "(Excellent)" in user(env, "run_speed_test").content
    user(env, "toggle_data")
    assert "no internet connection" in user(env, "run_speed_test").content
    assert "| 5G | 📵 Data Disabled |" in user(env, "check_status_bar").content


def test_apn_reset_applies_only_after_reboot(env):
    setup(env, "user", "break_apn_settings")
    assert phone(env)["device"]["network_connection_status"] == "no_service"
    user(env, "reset_apn_settings")
    assert phone(env)["device"]["network_connection_status"] == "no_service"
    assert "Resetting APN settings..." in user(env, "reboot_device").content
    assert phone(env)["device"]["network_connection_status"] == "connected"
    assert "APN name: internet" in user(env, "check_apn_settings").content
    # typing settings by hand: a wrong APN name loses service, the carrier's name restores it
    user(env, "set_apn_settings", apn_settings={"apn_name": "web.other"})
    assert phone(env)["device"]["network_connection_status"] == "no_service"
    assert user(env, "set_apn_settings", apn_settings={"apn_name": "internet", "colour": "red"}).error
    user(env, "set_apn_settings", apn_settings={"apn_name": "internet", "mmsc_url": "http://mmsc.example"})
    assert phone(env)["device"]["network_connection_status"] == "connected"


def test_mms_needs_3g_permissions_mmsc_and_no_wifi_calling(env):
    setup(env, "user", "set_wifi_calling", enabled=True, mms_over_wifi=True)
    assert "cannot send" in user(env, "can_send_mms").content
    assert "MMS over Wi-Fi: ON" in user(env, "check_wifi_calling_status").content
    user(env, "toggle_wifi_calling")
    setup(env, "user", "remove_app_permission", app_name="messaging", permission="storage")
    assert "cannot send" in user(env, "can_send_mms").content
    assert user(env, "grant_app_permission", app_name="messaging", permission="camera").error
    user(env, "grant_app_permission", app_name="messaging", permission="STORAGE")
    user(env, "set_network_mode_preference", mode="2g_only")
    assert "cannot send" in user(env, "can_send_mms").content
    user(env, "set_network_mode_preference", mode="3g_only")
    assert "can send MMS" in user(env, "can_send_mms").content
    setup(env, "user", "break_apn_mms_setting")
    assert "MMSC URL: not set" in user(env, "check_apn_settings").content
    assert "cannot send" in user(env, "can_send_mms").content


# -- the sync ------------------------------------------------------------------------------
def test_sync_roaming_needs_both_the_line_and_the_phone(env):
    setup(env, "user", "set_user_location", abroad=True)
    assert "no internet connection" in user(env, "run_speed_test").content  # phone switch off
    user(env, "toggle_roaming")
    assert "Excellent" in user(env, "run_speed_test").content
    agent(env, "disable_roaming", customer_id="C1001", line_id="L1002")
    assert phone(env)["surroundings"]["roaming_allowed"] is False
    assert "no internet connection" in user(env, "run_speed_test").content
    agent(env, "enable_roaming", customer_id="C1001", line_id="L1002")
    assert "Excellent" in user(env, "run_speed_test").content


def test_sync_data_allowance(env):
    setup(env, "assistant", "set_data_usage", customer_id="C1001", line_id="L1002", data_used_gb=15.0)
    assert phone(env)["surroundings"]["mobile_data_usage_exceeded"] is True
    assert "no internet connection" in user(env, "run_speed_test").content
    agent(env, "refuel_data", customer_id="C1001", line_id="L1002", gb_amount=0.5)
    assert phone(env)["surroundings"]["mobile_data_usage_exceeded"] is False
    assert "Excellent" in user(env, "run_speed_test").content


def test_sync_suspension_and_payment_round_trip(env):
    assert "no payment request" in user(env, "check_payment_request").content
    assert user(env, "make_payment").error
    setup(env, "assistant", "suspend_line_for_overdue_bill", customer_id="C1001", line_id="L1002",
          new_bill_id="B9001", contract_ended=False)
    # the back office suspended the line: the phone loses service at once
    assert phone(env)["device"]["network_connection_status"] == "no_service"
    assert bill(env, "B9001")["status"] == "Overdue" and bill(env, "B9001")["total_due"] == 65.0
    agent(env, "send_payment_request", customer_id="C1001", bill_id="B9001")
    assert "bill B9001, 65.00 USD" in user(env, "check_payment_request").content
    assert "Payment of 65.0 USD has been made" in user(env, "make_payment").content
    assert bill(env, "B9001")["status"] == "Paid" and phone(env)["surroundings"]["payment_request"] is None
    agent(env, "resume_line", customer_id="C1001", line_id="L1002")
    assert phone(env)["device"]["network_connection_status"] == "no_service"  # until the phone restarts
    user(env, "reboot_device")
    assert phone(env)["device"]["network_connection_status"] == "connected"
    assert setup(env, "assistant", "assert_no_overdue_bill", overdue_bill_id="B9001") is True
    # an account that already has an overdue bill cannot be given a second one
    agent(env, "suspend_line", customer_id="C1001", line_id="L1001", reason="x")
    with pytest.raises(Exception, match="must be Active"):
        setup(env, "assistant", "suspend_line_for_overdue_bill", customer_id="C1001", line_id="L1001",
              new_bill_id="B9002", contract_ended=True)


def test_contract_end_sets_a_past_contract_date(env):
    setup(env, "assistant", "suspend_line_for_overdue_bill", customer_id="C1001", line_id="L1002",
          new_bill_id="B9001", contract_ended=True)
    assert line(env, "L1002")["contract_end_date"] == "2025-01-31"
    assert setup(env, "assistant", "assert_line_status", customer_id="C1001", line_id="L1002",
                 expected_status="Suspended") is True


def test_unknown_phone_number_is_a_data_error(reference):
    env = reference.make_environment()
    with pytest.raises(Exception, match="matches no line"):
        setup(env, "user", "set_user_info", name="Nobody", phone_number="555-000-0000")


def test_domain_spec():
    assert DOMAIN.name == "telecom" and DOMAIN.policy_files == ("main_policy.md", "tech_support_manual.md")
    data = load_domain("telecom")
    assert "tech-support manual" in data.policy.lower() and "agent policy" in data.policy.lower()
    assert data.user_db is not None and data.user_db.data["surroundings"]["phone_number"] is None
