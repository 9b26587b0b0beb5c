"""The user's side of telecom: 30 tools on the simulated phone, plus the set-up ("break") and
assertion functions tasks name. The phone's rules live in phone.py; this module is its buttons."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...environment import Database, Toolkit, ToolKind, tool
from ...errors import ToolError
from . import phone as ph

DEFAULT_VPN = {"server_address": "vpn.example.org", "protocol": "WireGuard", "server_performance": "excellent"}


class ApnSettings(BaseModel):
    """APN settings as the user types them into the phone's settings screen."""

    model_config = ConfigDict(extra="forbid")

    apn_name: str = Field(description="The data APN name.")
    mms_apn: str | None = Field(None, description="The APN used for MMS.")
    mmsc_url: str | None = Field(None, description="The MMS service centre (MMSC) URL.")
    mms_proxy: str | None = Field(None, description="The MMS proxy address, if the carrier uses one.")
    mms_port: int | None = Field(None, description="The MMS proxy port, if the carrier uses one.")


class TelecomUserTools(Toolkit):
    name = "telecom_user"

    def __init__(self, db: Database):
        ph.normalize_user_db(db.data)
        super().__init__(db)

    @property
    def device(self) -> dict[str, Any]:
        return self.data["device"]

    @property
    def surroundings(self) -> dict[str, Any]:
        return self.data["surroundings"]

    def _with_status_bar(self, message: str) -> str:
        return f"{message}\nStatus Bar: {ph.status_bar(self.data)}"

    # == diagnostics (read-only) ============================================================
    @tool(ToolKind.READ)
    def check_status_bar(self) -> str:
        """Show the icons at the top of your phone's screen: signal, network type, mobile data, data saver,
        Wi-Fi, VPN and battery."""
        return f"Status Bar: {ph.status_bar(self.data)}"

    @tool(ToolKind.READ)
    def check_network_status(self) -> str:
        """Show your phone's connection to the cellular network and Wi-Fi: airplane mode, SIM, service,
        signal, network type, mobile data and data roaming."""
        d = self.device
        lines = [
            f"Airplane mode: {'ON' if d['airplane_mode'] else 'OFF'}",
            f"SIM card: {ph.sim_status(d)}",
            f"Cellular service: {d['network_connection_status']}",
            f"Signal strength: {d['network_signal_strength']}",
            f"Network type: {d['network_technology_connected']}",
            f"Mobile data: {'ON' if d['data_enabled'] else 'OFF'}",
            f"Data roaming: {'ON' if d['roaming_enabled'] else 'OFF'}",
            f"Wi-Fi: {'ON' if d['wifi_enabled'] else 'OFF'}"
            + (f", connected to {d['wifi_ssid']}" if d["wifi_connected"] else ", not connected"),
        ]
        return "\n".join(lines)

    @tool(ToolKind.READ)
    def check_network_mode_preference(self) -> str:
        """Show which kinds of cellular network (5G, 4G, 3G, 2G) your phone is set to use."""
        return f"Preferred network mode: {self.device['network_mode_preference']}"

    @tool(ToolKind.READ)
    def check_sim_status(self) -> str:
        """Show whether your SIM card is working: active, missing, or locked by a PIN or PUK code."""
        return {
            "active": "SIM card: active and working.",
            "missing": "SIM card: not detected.",
            "locked_pin": "SIM card: locked, the phone asks for the PIN code.",
            "locked_puk": "SIM card: locked, the phone asks for the PUK code.",
        }.get(ph.sim_status(self.device), f"SIM card: {ph.sim_status(self.device)}")

    @tool(ToolKind.READ)
    def check_data_restriction_status(self) -> str:
        """Show whether a data-limiting feature (Data Saver) is on."""
        return "Data Saver: ON (apps use less data and may be slower)" if self.device["data_saver_mode"] \
            else "Data Saver: OFF"

    @tool(ToolKind.READ)
    def check_apn_settings(self) -> str:
        """Show the APN settings your phone uses for mobile data and picture messages (MMS)."""
        apn = self.device["active_apn_settings"]
        return (f"APN name: {apn.get('apn_name') or 'not set'}\n"
                f"MMS APN: {apn.get('mms_apn') or 'not set'}\n"
                f"MMSC URL: {apn.get('mmsc_url') or 'not set'}")

    @tool(ToolKind.READ)
    def check_wifi_status(self) -> str:
        """Show whether Wi-Fi is on, which network it is connected to, and its signal."""
        d = self.device
        if not d["wifi_enabled"]:
            return "Wi-Fi is OFF."
        if d["wifi_connected"]:
            return f"Wi-Fi is ON, connected to {d['wifi_ssid']} (signal {d['wifi_signal_strength']})."
        return "Wi-Fi is ON but not connected to any network (none in range)."

    @tool(ToolKind.READ)
    def check_wifi_calling_status(self) -> str:
        """Show whether Wi-Fi Calling (calls and messages over Wi-Fi instead of the cellular network) is on."""
        d = self.device
        if not d["wifi_calling_enabled"]:
            return "Wi-Fi Calling is OFF."
        return "Wi-Fi Calling is ON" + (" (MMS over Wi-Fi: ON)." if d["wifi_calling_mms_over_wifi"] else ".")

    @tool(ToolKind.READ)
    def check_vpn_status(self) -> str:
        """Show whether a VPN is connected, with its server details."""
        d = self.device
        if d["vpn_connected"]:
            details = d.get("vpn_details") or {}
            shown = ", ".join(f"{k}: {v}" for k, v in details.items())
            return f"VPN is ON and connected ({shown})." if shown else "VPN is ON and connected."
        if d["vpn_enabled_setting"]:
            return "VPN is enabled in settings but not connected."
        return "VPN is OFF."

    @tool(ToolKind.READ)
    def check_installed_apps(self) -> str:
        """List the apps installed on your phone."""
        return "Installed apps: " + ", ".join(sorted(self.device["app_statuses"]))

    @tool(ToolKind.READ)
    def check_app_status(self, app_name: str) -> str:
        """Show an app's status and the permissions it has.

        Args:
            app_name: The app's name, e.g. messaging.
        """
        app = self._app(app_name)
        granted = [p for p, on in app["permissions"].items() if on]
        return f"App {app_name}: installed. Permissions granted: {', '.join(granted) or 'none'}."

    @tool(ToolKind.READ)
    def check_app_permissions(self, app_name: str) -> str:
        """Show which permissions (sms, storage, phone, network) an app has.

        Args:
            app_name: The app's name, e.g. messaging.
        """
        app = self._app(app_name)
        states = [f"{p}: {'granted' if on else 'not granted'}" for p, on in app["permissions"].items()]
        return f"Permissions of {app_name}: " + "; ".join(states)

    @tool(ToolKind.READ)
    def run_speed_test(self) -> str:
        """Measure your mobile internet download speed."""
        mbps, label = ph.measure_speed(self.data)
        if mbps is None:
            return "Speed test failed: no internet connection."
        return f"Download speed: {mbps:.2f} Mbps ({label})."

    @tool(ToolKind.READ)
    def can_send_mms(self) -> str:
        """Try whether your messaging app can send a picture message (MMS)."""
        if ph.can_send_mms(self.data):
            return "Test MMS sent: your messaging app can send MMS messages."
        return "Test MMS failed: your messaging app cannot send MMS messages."

    @tool(ToolKind.READ)
    def check_payment_request(self) -> str:
        """Show whether the agent has sent you a request to pay a bill."""
        request = self.surroundings.get("payment_request")
        if not request:
            return "You have no payment request."
        return f"Payment request: bill {request['bill_id']}, {request['amount_due']:.2f} USD."

    # == settings (write) ===================================================================
    @tool(ToolKind.WRITE)
    def set_network_mode_preference(self, mode: ph.NetworkMode) -> str:
        """Choose which kinds of cellular network your phone uses. Newer networks (5G, 4G) are faster.

        Args:
            mode: The networks the phone may use: 4g_5g_preferred, 4g_only, 3g_only or 2g_only.
        """
        self.device["network_mode_preference"] = mode
        ph.network_search(self.data)
        return self._with_status_bar(f"Preferred Network Mode set to: {mode}")

    @tool(ToolKind.WRITE)
    def toggle_airplane_mode(self) -> str:
        """Turn Airplane Mode on or off. When on, all radios (cellular, Wi-Fi) are off."""
        self._set_airplane_mode(not self.device["airplane_mode"])
        return self._with_status_bar(f"Airplane Mode is now {'ON' if self.device['airplane_mode'] else 'OFF'}.")

    @tool(ToolKind.WRITE)
    def reseat_sim_card(self) -> str:
        """Take the SIM card out and put it back in."""
        self.device["sim_card_missing"] = False
        ph.network_search(self.data)
        return self._with_status_bar("SIM card re-seated successfully.")

    @tool(ToolKind.WRITE)
    def toggle_data(self) -> str:
        """Turn mobile data on or off."""
        self.device["data_enabled"] = not self.device["data_enabled"]
        ph.network_search(self.data)
        return self._with_status_bar(f"Mobile Data is now {'ON' if self.device['data_enabled'] else 'OFF'}.")

    @tool(ToolKind.WRITE)
    def toggle_roaming(self) -> str:
        """Turn data roaming on or off. Data roaming lets the phone use mobile data outside your home network."""
        self.device["roaming_enabled"] = not self.device["roaming_enabled"]
        ph.network_search(self.data)
        return self._with_status_bar(f"Data Roaming is now {'ON' if self.device['roaming_enabled'] else 'OFF'}.")

    @tool(ToolKind.WRITE)
    def toggle_data_saver_mode(self) -> str:
        """Turn Data Saver on or off. Data Saver limits data use and can slow the connection."""
        self.device["data_saver_mode"] = not self.device["data_saver_mode"]
        return self._with_status_bar(f"Data Saver Mode is now {'ON' if self.device['data_saver_mode'] else 'OFF'}.")

    @tool(ToolKind.WRITE)
    def set_apn_settings(self, apn_settings: ApnSettings) -> str:
        """Type in new APN settings for mobile data and MMS.

        Args:
            apn_settings: The new settings: apn_name, and optionally mms_apn, mmsc_url, mms_proxy, mms_port.
        """
        self.device["active_apn_settings"] = {**apn_settings.model_dump(), "reset_at_reboot": False}
        ph.network_search(self.data)
        return self._with_status_bar(f"APN settings set to: {apn_settings.apn_name}")

    @tool(ToolKind.WRITE)
    def reset_apn_settings(self) -> str:
        """Restore the carrier's default APN settings. They take effect after the phone restarts."""
        self.device["active_apn_settings"]["reset_at_reboot"] = True
        return self._with_status_bar("APN settings will reset at reboot.")

    @tool(ToolKind.WRITE)
    def toggle_wifi(self) -> str:
        """Turn the Wi-Fi radio on or off."""
        d = self.device
        if d["airplane_mode"]:
            raise ToolError("Wi-Fi cannot be changed while airplane mode is on")
        d["wifi_enabled"] = not d["wifi_enabled"]
        if not d["wifi_enabled"]:
            d.update(wifi_connected=False, wifi_ssid=None, wifi_signal_strength="none")
        return self._with_status_bar(f"Wi-Fi is now {'ON' if d['wifi_enabled'] else 'OFF'}.")

    @tool(ToolKind.WRITE)
    def toggle_wifi_calling(self) -> str:
        """Turn Wi-Fi Calling on or off."""
        self.device["wifi_calling_enabled"] = not self.device["wifi_calling_enabled"]
        return self._with_status_bar(f"Wi-Fi Calling is now {'ON' if self.device['wifi_calling_enabled'] else 'OFF'}.")

    @tool(ToolKind.WRITE)
    def connect_vpn(self) -> str:
        """Connect to your VPN."""
        if self.device["vpn_connected"]:
            return self._with_status_bar("VPN already connected.")
        self.device.update(vpn_connected=True, vpn_enabled_setting=True, vpn_details=dict(DEFAULT_VPN))
        return self._with_status_bar("VPN connected successfully.")

    @tool(ToolKind.WRITE)
    def disconnect_vpn(self) -> str:
        """Disconnect the VPN, if one is connected."""
        if not self.device["vpn_connected"]:
            return self._with_status_bar("No active VPN connection to disconnect.")
        self.device.update(vpn_connected=False, vpn_details=None)
        return self._with_status_bar("VPN disconnected successfully.")

    @tool(ToolKind.WRITE)
    def grant_app_permission(self, app_name: str, permission: str) -> str:
        """Give an app a permission.

        Args:
            app_name: The app's name, e.g. messaging.
            permission: The permission, lowercase: sms, storage, phone or network.
        """
        app = self._app(app_name)
        permission = permission.strip().lower()
        if permission not in app["permissions"]:
            raise ToolError(f"{app_name} has no permission {permission!r}; it has: {', '.join(app['permissions'])}")
        app["permissions"][permission] = True
        return self._with_status_bar(f"Success. Permission '{permission}' granted to app '{app_name}'.")

    @tool(ToolKind.WRITE)
    def reboot_device(self) -> str:
        """Restart the phone. Pending APN resets apply and the phone searches for the network again."""
        notes = []
        if self.device["active_apn_settings"].get("reset_at_reboot"):
            self.device["active_apn_settings"] = ph.default_apn_settings()
            notes.append("Resetting APN settings...")
        notes.append("Restarting network services...")
        self.device["network_connection_status"] = "searching"
        ph.network_search(self.data)
        return self._with_status_bar("\n".join(notes))

    @tool(ToolKind.WRITE)
    def make_payment(self) -> str:
        """Pay the bill in the payment request the agent sent you."""
        request = self.surroundings.get("payment_request")
        if not request:
            raise ToolError("you have no payment request to pay")
        request["paid"] = True
        return f"Payment of {float(request['amount_due'])} USD has been made for bill {request['bill_id']}."

    # == helpers ============================================================================
    def _app(self, app_name: str) -> dict[str, Any]:
        app = self.device["app_statuses"].get(app_name)
        if app is None:
            raise ToolError(f"no app named {app_name!r}; installed: {', '.join(sorted(self.device['app_statuses']))}")
        return app

    def _set_airplane_mode(self, on: bool) -> None:
        d = self.device
        d["airplane_mode"] = on
        d.update(wifi_connected=False, wifi_ssid=None, wifi_signal_strength="none")
        if not on:
            d["network_connection_status"] = "searching"
        ph.network_search(self.data)

    # == set-up functions named by tasks (not tools) ========================================
    def set_user_info(self, name: str, phone_number: str) -> None:
        self.surroundings.update(name=name, phone_number=phone_number)

    def set_user_location(self, abroad: bool) -> None:
        self.surroundings["is_abroad"] = abroad

    def simulate_network_search(self) -> None:
        ph.network_search(self.data)

    def turn_airplane_mode_on(self) -> None:
        self._set_airplane_mode(True)

    def turn_airplane_mode_off(self) -> None:
        self._set_airplane_mode(False)

    def unseat_sim_card(self) -> None:
        self.device["sim_card_missing"] = True
        ph.network_search(self.data)

    def lock_sim_card(self, mode: Literal["pin", "puk"]) -> None:
        if mode not in ("pin", "puk"):
            raise ToolError(f"lock mode must be 'pin' or 'puk', not {mode!r}")
        self.device["sim_card_status"] = f"locked_{mode}"
        ph.network_search(self.data)

    def turn_data_on(self) -> None:
        self.device["data_enabled"] = True
        ph.network_search(self.data)

    def turn_data_off(self) -> None:
        self.device["data_enabled"] = False
        ph.network_search(self.data)

    def turn_roaming_on(self) -> None:
        self.device["roaming_enabled"] = True
        ph.network_search(self.data)

    def turn_roaming_off(self) -> None:
        self.device["roaming_enabled"] = False
        ph.network_search(self.data)

    def turn_data_saver_mode_on(self) -> None:
        self.device["data_saver_mode"] = True

    def turn_data_saver_mode_off(self) -> None:
        self.device["data_saver_mode"] = False

    def break_apn_settings(self) -> None:
        """A wrong data APN: no service until the APN is reset and the phone restarted."""
        self.device["active_apn_settings"]["apn_name"] = "broken"
        ph.network_search(self.data)

    def break_apn_mms_setting(self) -> None:
        """No MMSC URL: MMS fails until the APN is reset and the phone restarted."""
        self.device["active_apn_settings"]["mmsc_url"] = None

    def set_wifi_calling(self, enabled: bool, mms_over_wifi: bool | None = None) -> None:
        self.device["wifi_calling_enabled"] = enabled
        if mms_over_wifi is not None:
            self.device["wifi_calling_mms_over_wifi"] = mms_over_wifi

    def break_vpn(self) -> None:
        """A connected VPN whose server is slow: data works but is slow until it is disconnected."""
        self.device.update(vpn_connected=True, vpn_enabled_setting=True,
                           vpn_details={**DEFAULT_VPN, "server_performance": "poor"})

    def remove_app_permission(self, app_name: str, permission: str) -> None:
        app = self._app(app_name)
        if permission not in app["permissions"]:
            raise ToolError(f"{app_name} has no permission {permission!r}")
        app["permissions"][permission] = False

    # == env assertions (not tools) =========================================================
    def assert_airplane_mode_status(self, expected_status: bool) -> bool:
        return self.device["airplane_mode"] == expected_status

    def assert_service_status(self, expected_status: str) -> bool:
        if expected_status not in ph.CONNECTION_STATUSES:
            raise ToolError(f"unknown service status {expected_status!r}; known: {', '.join(ph.CONNECTION_STATUSES)}")
        return self.device["network_connection_status"] == expected_status

    def assert_mobile_data_status(self, expected_status: bool) -> bool:
        return ph.mobile_data_working(self.data) == expected_status

    def assert_mobile_roaming_status(self, expected_status: bool) -> bool:
        return self.device["roaming_enabled"] == expected_status

    def assert_mobile_data_saver_mode_status(self, expected_status: bool) -> bool:
        return self.device["data_saver_mode"] == expected_status

    def assert_internet_speed(self, expected_speed: float, expected_desc: str | None = None) -> bool:
        mbps, label = ph.measure_speed(self.data)
        fast_enough = (mbps or 0.0) >= expected_speed
        return fast_enough and (expected_desc is None or label.lower() == expected_desc.lower())

    def assert_internet_not_excellent(self) -> bool:
        return ph.measure_speed(self.data)[1] != "Excellent"

    def assert_can_send_mms(self, expected_status: bool) -> bool:
        return ph.can_send_mms(self.data) == expected_status

    def assert_mobile_data_usage_exceeded(self, expected_status: bool) -> bool:
        return self.surroundings["mobile_data_usage_exceeded"] == expected_status
