"""How the scripted user turns a telecom agent's instructions into phone actions.

`user_tool_rule(agent_text, user_tool_schemas) -> list[ToolCall]` is the per-domain extension point
of agentcl.users.scripted_logic (found there by module path). It reads the agent's message one
sentence at a time, skips sentences in which the agent reports its own doings ("I have enabled
roaming on your line"), and maps requests to the phone's tools in the order they are asked:
tool names written out (`toggle_airplane_mode`), plain instructions ("turn off airplane mode",
"restart your phone", "grant the storage permission to the messaging app"), and questions about
the phone's state ("is airplane mode on?" -> check_network_status). Toggles are followed as asked:
the scripted user, like a real one, does not second-guess the agent.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from ...data_model import ToolCall
from .phone import APP_PERMISSIONS, DEFAULT_NETWORK_MODE, NETWORK_MODES

Builder = Callable[[str], list[dict[str, Any]]]  # sentence -> argument dicts (one call each)

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_AGENT_SUBJECT = re.compile(r"^\s*(i|i've|i have|i'll|i will|i'm|i am|we|we've|we have|let me|our)\b")
_REQUEST = re.compile(r"\b(?:you to|please|can you|could you|would you|let's|let us|you (?:need|should|must|will "
                      r"need|have) to|you should)\b")
_IMPERATIVE = re.compile(
    r"^\s*(?:(?:now|next|then|first|finally|also|ok|okay|great|alright|and|so|if so)\s*,?\s*)*"
    r"(?:turn|switch|toggle|disable|enable|set|change|reset|restore|reseat|re-?insert|take|remove|restart|reboot|"
    r"power|grant|allow|give|pay|make|accept|disconnect|connect|check|look|run|try|open|go|tell|verify|send|test)\b")
_STATE_QUESTION = re.compile(r"^\s*(?:is|are|does|do|did|what|which|how)\b")
_VERB = r"(?:turn|switch|toggle|disable|deactivate|enable|activate)\w*\b[^.?!]{0,25}"
_APPS = ("messaging", "browser")


def _no_args(sentence: str) -> list[dict[str, Any]]:
    return [{}]


def _network_mode(sentence: str) -> list[dict[str, Any]]:
    spaced = sentence.replace("/", " ").replace("_", " ")
    for mode in NETWORK_MODES:
        if mode in sentence or mode.replace("_", " ") in spaced:
            return [{"mode": mode}]
    return [{"mode": DEFAULT_NETWORK_MODE}]


def _app(sentence: str) -> str:
    return next((app for app in _APPS if app in sentence), "messaging")


def _permissions(sentence: str) -> list[dict[str, Any]]:
    wanted = [p for p in APP_PERMISSIONS if re.search(rf"\b{p}\b", sentence)]
    return [{"app_name": _app(sentence), "permission": p} for p in wanted]


def _app_only(sentence: str) -> list[dict[str, Any]]:
    return [{"app_name": _app(sentence)}]


# (feature, tool, pattern, builder): requests that change the phone.
ACTIONS: list[tuple[str, str, re.Pattern[str], Builder]] = [
    ("airplane", "toggle_airplane_mode", re.compile(_VERB + r"airplane mode"), _no_args),
    ("sim", "reseat_sim_card", re.compile(r"re-?seat|re-?insert|take (?:out )?(?:the |your )?sim(?: card)? out|"
                                          r"remove and (?:re-?)?insert"), _no_args),
    ("data", "toggle_data", re.compile(_VERB + r"\b(?:mobile |cellular )?data\b(?! saver| roaming| usage| plan)"),
     _no_args),
    ("roaming", "toggle_roaming", re.compile(_VERB + r"\broaming\b"), _no_args),
    ("saver", "toggle_data_saver_mode", re.compile(_VERB + r"data saver"), _no_args),
    ("mode", "set_network_mode_preference",
     re.compile(r"(?:set|change|switch)\w*\b[^.?!]{0,40}(?:network mode|network preference|preferred network|"
                r"network type)|4g_5g_preferred|4g/5g preferred"), _network_mode),
    ("apn", "reset_apn_settings", re.compile(r"(?:reset|restore)\w*\b[^.?!]{0,25}apn|apn[^.?!]{0,20}\breset"),
     _no_args),
    ("reboot", "reboot_device", re.compile(r"\b(?:reboot|restart|power[- ]cycle)\b"), _no_args),
    ("wifi_calling", "toggle_wifi_calling", re.compile(_VERB + r"wi-?fi calling"), _no_args),
    ("wifi", "toggle_wifi", re.compile(_VERB + r"\bwi-?fi\b(?! calling)"), _no_args),
    ("vpn", "disconnect_vpn", re.compile(r"(?:disconnect|turn off|switch off|disable)\w*\b[^.?!]{0,20}\bvpn"),
     _no_args),
    ("vpn", "connect_vpn", re.compile(r"(?<!dis)\bconnect\w*\b[^.?!]{0,20}\bvpn|turn on[^.?!]{0,15}\bvpn"),
     _no_args),
    ("permission", "grant_app_permission",
     re.compile(r"(?:grant|allow|give|enable|turn on)\w*\b[^.?!]*permission|permission[^.?!]*\b(?:grant|allow)"),
     _permissions),
    ("payment", "make_payment", re.compile(r"\bpay\b|make (?:the |a )?payment|accept (?:the )?(?:payment )?request"),
     _no_args),
]

# (feature, tool, pattern, builder): requests to look at the phone.
CHECKS: list[tuple[str, str, re.Pattern[str], Builder]] = [
    ("status", "check_status_bar", re.compile(r"status bar|signal bars|what (?:do you see|does it show)"), _no_args),
    ("airplane", "check_network_status", re.compile(r"network status|airplane mode"), _no_args),
    ("data", "check_network_status", re.compile(r"\b(?:mobile|cellular) data\b(?! saver)"), _no_args),
    ("roaming", "check_network_status", re.compile(r"\broaming\b"), _no_args),
    ("sim", "check_sim_status", re.compile(r"\bsim\b"), _no_args),
    ("speed", "run_speed_test", re.compile(r"speed ?test|test (?:your |the )?(?:internet |connection |data )?speed"),
     _no_args),
    ("mms", "can_send_mms", re.compile(r"(?:send|try)\w*\b[^.?!]{0,25}(?:mms|picture message|multimedia message)|"
                                       r"test mms"), _no_args),
    ("apn", "check_apn_settings", re.compile(r"\bapn\b|mmsc"), _no_args),
    ("saver", "check_data_restriction_status", re.compile(r"data saver|data restriction"), _no_args),
    ("mode", "check_network_mode_preference", re.compile(r"network mode|preferred network|network preference"),
     _no_args),
    ("wifi_calling", "check_wifi_calling_status", re.compile(r"wi-?fi calling"), _no_args),
    ("wifi", "check_wifi_status", re.compile(r"\bwi-?fi\b(?! calling)"), _no_args),
    ("vpn", "check_vpn_status", re.compile(r"\bvpn\b"), _no_args),
    ("permission", "check_app_permissions", re.compile(r"permission"), _app_only),
    ("payment_request", "check_payment_request", re.compile(r"payment request"), _no_args),
    ("apps", "check_installed_apps", re.compile(r"installed apps|apps (?:are )?installed"), _no_args),
]

# Tools whose names the agent may write out, and how to fill their arguments.
NAMED_BUILDERS: dict[str, Builder] = {
    "set_network_mode_preference": _network_mode,
    "grant_app_permission": _permissions,
    "check_app_permissions": _app_only,
    "check_app_status": _app_only,
}


def _is_about_the_agent(sentence: str) -> bool:
    """'I have enabled roaming on your line': the agent reports its own work (unless it asks too)."""
    return bool(_AGENT_SUBJECT.match(sentence)) and not _REQUEST.search(sentence)


def _calls_in_sentence(sentence: str, available: set[str]) -> list[tuple[int, str, dict[str, Any]]]:
    found: list[tuple[int, str, dict[str, Any]]] = []
    named, acted = set(), set()
    for name in sorted(available):  # tool names written out win over everything else
        match = re.search(rf"\b{re.escape(name)}\b", sentence)
        if match:
            named.add(name)
            acted.update(feature for feature, tool, _, _ in ACTIONS if tool == name)
            for args in NAMED_BUILDERS.get(name, _no_args)(sentence):
                found.append((match.start(), name, args))
    requested = bool(_REQUEST.search(sentence) or _IMPERATIVE.match(sentence))
    asked = sentence.endswith("?") or bool(_STATE_QUESTION.match(sentence))
    if requested and not _STATE_QUESTION.match(sentence):
        for feature, name, pattern, build in ACTIONS:
            match = pattern.search(sentence)
            if match and name in available and name not in named:
                acted.add(feature)
                for args in build(sentence):
                    found.append((match.start(), name, args))
    if requested or asked:
        for feature, name, pattern, build in CHECKS:
            match = pattern.search(sentence)
            if match and feature not in acted and name in available and name not in named:
                for args in build(sentence):
                    found.append((match.start(), name, args))
    return found


def user_tool_rule(agent_text: str, tool_schemas: list[dict[str, Any]]) -> list[ToolCall]:
    """The phone actions the agent's message asks the user to take, in the order asked."""
    available = {s.get("function", s).get("name", "") for s in tool_schemas}
    calls: list[ToolCall] = []
    seen: set[str] = set()
    for piece in _SENTENCE.finditer(agent_text.lower()):
        sentence = piece.group(0).strip()
        if not sentence or _is_about_the_agent(sentence):
            continue
        for _, name, args in sorted(_calls_in_sentence(sentence, available), key=lambda item: item[0]):
            key = name + json.dumps(args, sort_keys=True)
            if key not in seen:
                seen.add(key)
                calls.append(ToolCall(name=name, arguments=args, requestor="user"))
    return calls
