"""The simulated phone: its state layout, defaults and the rules that derive what the user sees.

The user's DB is `{"device": {...}, "surroundings": {...}}` (the layout of τ²-bench's
user_db.toml). `device` holds the phone's settings and its last network registration;
`surroundings` holds facts about the world around the phone: who the user is, whether they are
abroad, the signal of each radio technology where they stand, and what the back office says
about their line (written by the sync step, never by the user).

The phone registers on the network only during a network search (toggling radios, re-seating the
SIM, changing the network mode, rebooting). Speed, mobile data and MMS are computed on demand from
the settings, the registration and the surroundings, so they always reflect both sides.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, get_args

SIGNAL_LEVELS = ("none", "poor", "fair", "good", "excellent")
SIGNAL_BARS = {"none": 0, "poor": 1, "fair": 2, "good": 3, "excellent": 4}
TECHNOLOGIES = ("2G", "3G", "4G", "5G")
SIM_STATUSES = ("active", "missing", "locked_pin", "locked_puk")
CONNECTION_STATUSES = ("connected", "searching", "no_service", "emergency_only")

# Which technologies each network mode may register on, best first.
NetworkMode = Literal["4g_5g_preferred", "4g_only", "3g_only", "2g_only"]
NETWORK_MODES: dict[str, tuple[str, ...]] = {
    "4g_5g_preferred": ("5G", "4G"),
    "4g_only": ("4G",),
    "3g_only": ("3G",),
    "2g_only": ("2G",),
}
assert tuple(NETWORK_MODES) == get_args(NetworkMode)
DEFAULT_NETWORK_MODE = "4g_5g_preferred"

# The carrier's own APN configuration; reset_apn_settings restores it at the next reboot.
CARRIER_APN_NAME = "internet"
CARRIER_MMS_APN = "mms"
CARRIER_MMSC_URL = "http://mmsc.mobile.example.net/mms"

# Download speed model: peak Mbps per technology, scaled by signal and by speed-limiting settings.
PEAK_MBPS = {"2G": 0.3, "3G": 4.0, "4G": 60.0, "5G": 300.0}
SIGNAL_FACTOR = {"none": 0.0, "poor": 0.25, "fair": 0.5, "good": 0.75, "excellent": 1.0}
DATA_SAVER_FACTOR = 0.2
SLOW_VPN_FACTOR = 0.1
# (upper bound in Mbps, label): the first bound the speed is below gives the label.
SPEED_LABELS = ((1.0, "Very Poor"), (5.0, "Poor"), (25.0, "Fair"), (100.0, "Good"), (float("inf"), "Excellent"))

MESSAGING_APP = "messaging"
APP_PERMISSIONS = ("sms", "storage", "phone", "network")


def default_apn_settings() -> dict[str, Any]:
    return {
        "apn_name": CARRIER_APN_NAME,
        "mms_apn": CARRIER_MMS_APN,
        "mmsc_url": CARRIER_MMSC_URL,
        "mms_proxy": None,
        "mms_port": None,
        "reset_at_reboot": False,
    }


def default_device() -> dict[str, Any]:
    """A healthy phone registered on 5G at full signal."""
    return {
        "sim_card_status": "active",
        "sim_card_missing": False,
        "airplane_mode": False,
        "network_signal_strength": "excellent",
        "network_technology_connected": "5G",
        "network_connection_status": "connected",
        "battery_level": 80,
        "data_enabled": True,
        "roaming_enabled": False,
        "network_mode_preference": DEFAULT_NETWORK_MODE,
        "active_apn_settings": default_apn_settings(),
        "wifi_enabled": False,
        "wifi_connected": False,
        "wifi_ssid": None,
        "wifi_signal_strength": "none",
        "wifi_calling_enabled": False,
        "wifi_calling_mms_over_wifi": False,
        "data_saver_mode": False,
        "vpn_enabled_setting": False,
        "vpn_connected": False,
        "vpn_details": None,
        "app_statuses": {
            "messaging": {"app_name": "messaging",
                          "permissions": {"sms": True, "storage": True, "phone": True, "network": False}},
            "browser": {"app_name": "browser",
                        "permissions": {"sms": False, "storage": True, "phone": False, "network": True}},
        },
    }


def default_surroundings() -> dict[str, Any]:
    return {
        "name": None,
        "phone_number": None,
        "is_abroad": False,
        "roaming_allowed": False,
        "signal_strength": {"2G": "poor", "3G": "fair", "4G": "good", "5G": "excellent"},
        "mobile_data_usage_exceeded": False,
        "line_active": True,
        "payment_request": None,
    }


def _fill_missing(target: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, value in defaults.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(target[key], dict) and key not in ("app_statuses", "signal_strength"):
            _fill_missing(target[key], value)


def normalize_user_db(data: dict[str, Any]) -> dict[str, Any]:
    """Fill in every field a user DB file may leave out (TOML has no null; τ²'s file has no surroundings)."""
    data.setdefault("device", {})
    data.setdefault("surroundings", {})
    _fill_missing(data["device"], default_device())
    _fill_missing(data["surroundings"], default_surroundings())
    return data


# -- derived state ---------------------------------------------------------------------------
def sim_status(device: dict[str, Any]) -> str:
    return "missing" if device["sim_card_missing"] else device["sim_card_status"]


def apn_works(device: dict[str, Any]) -> bool:
    return device["active_apn_settings"].get("apn_name") == CARRIER_APN_NAME


def drop_registration(device: dict[str, Any]) -> None:
    device["network_connection_status"] = "no_service"
    device["network_technology_connected"] = "none"
    device["network_signal_strength"] = "none"


def network_search(phone: dict[str, Any]) -> None:
    """Register on the best network the SIM, settings, line and location allow (or none)."""
    device, around = phone["device"], phone["surroundings"]
    if (sim_status(device) != "active" or device["airplane_mode"] or not apn_works(device)
            or not around["line_active"]):
        drop_registration(device)
        return
    for tech in NETWORK_MODES.get(device["network_mode_preference"], ("4G",)):
        signal = around["signal_strength"].get(tech, "none")
        if signal != "none":
            device["network_connection_status"] = "connected"
            device["network_technology_connected"] = tech
            device["network_signal_strength"] = signal
            return
    drop_registration(device)


def has_service(phone: dict[str, Any]) -> bool:
    device = phone["device"]
    return (device["network_connection_status"] == "connected" and not device["airplane_mode"]
            and device["network_signal_strength"] != "none")


def mobile_data_working(phone: dict[str, Any]) -> bool:
    """Mobile data needs service, the data switch, roaming (abroad) on both sides, and data left."""
    device, around = phone["device"], phone["surroundings"]
    if not has_service(phone) or not device["data_enabled"]:
        return False
    if around["is_abroad"] and not (device["roaming_enabled"] and around["roaming_allowed"]):
        return False
    return not around["mobile_data_usage_exceeded"]


def vpn_is_slow(device: dict[str, Any]) -> bool:
    details = device.get("vpn_details") or {}
    return bool(device["vpn_connected"]) and details.get("server_performance") == "poor"


def speed_label(mbps: float) -> str:
    for bound, label in SPEED_LABELS:
        if mbps < bound:
            return label
    return SPEED_LABELS[-1][1]


def measure_speed(phone: dict[str, Any]) -> tuple[float | None, str]:
    """(download Mbps, label); (None, "No Connection") when mobile data does not work."""
    if not mobile_data_working(phone):
        return None, "No Connection"
    device = phone["device"]
    factor = SIGNAL_FACTOR.get(device["network_signal_strength"], 0.0)
    if vpn_is_slow(device):
        factor *= SLOW_VPN_FACTOR
    if device["data_saver_mode"]:
        factor *= DATA_SAVER_FACTOR
    mbps = round(PEAK_MBPS.get(device["network_technology_connected"], 0.0) * factor, 2)
    return mbps, speed_label(mbps)


def mms_blockers(phone: dict[str, Any]) -> list[str]:
    """Every reason the messaging app cannot send MMS right now (empty: it can)."""
    device = phone["device"]
    reasons = []
    if not mobile_data_working(phone):
        reasons.append("mobile data is not working")
    elif device["network_technology_connected"] == "2G":
        reasons.append("the phone is on a 2G network")
    if device["wifi_calling_enabled"] and device["wifi_calling_mms_over_wifi"]:
        reasons.append("MMS is routed over Wi-Fi calling, which the carrier does not support")
    if not device["active_apn_settings"].get("mmsc_url"):
        reasons.append("no MMSC URL is configured")
    app = device["app_statuses"].get(MESSAGING_APP)
    if app is None:
        reasons.append("the messaging app is not installed")
    else:
        missing = [p for p in ("sms", "storage") if not app["permissions"].get(p)]
        if missing:
            reasons.append(f"the messaging app lacks the {' and '.join(missing)} permission")
    return reasons


def can_send_mms(phone: dict[str, Any]) -> bool:
    return not mms_blockers(phone)


SIGNAL_ICONS = {"none": "📵 No Signal", "poor": "📶¹ Poor", "fair": "📶² Fair", "good": "📶³ Good",
                "excellent": "📶⁴ Excellent"}


def status_bar(phone: dict[str, Any]) -> str:
    """The icons at the top of the screen, as text (τ²-bench's wording and icons)."""
    device = phone["device"]
    parts = []
    if device["airplane_mode"]:
        parts.append("✈️ Airplane Mode")
    else:
        parts.append(SIGNAL_ICONS.get(device["network_signal_strength"], "📵 No Signal"))
        tech = device["network_technology_connected"]
        if tech != "none":
            parts.append(tech)
        if device["data_enabled"] and tech != "none":
            parts.append("📱 Data Enabled")
            if device["data_saver_mode"]:
                parts.append("🔽 Data Saver")
        else:
            parts.append("📵 Data Disabled")
    if device["wifi_enabled"] and device["wifi_connected"]:
        parts.append(f"📡 Connected to {device['wifi_ssid']}" if device["wifi_ssid"] else "📡 Enabled")
    if device["vpn_connected"]:
        parts.append("🔒 VPN Connected")
    parts.append(f"🔋 {device['battery_level']}%")
    return " | ".join(parts)
