"""The one-command offline demo (tiny local agent, local relay, short curriculum). See run.py."""

from .run import main, print_summary, run_demo
from .settings import DEMO_DOMAINS, DEMO_PRESET, DemoSettings, demo_preset

__all__ = ["DEMO_DOMAINS", "DEMO_PRESET", "DemoSettings", "demo_preset", "main", "print_summary", "run_demo"]
