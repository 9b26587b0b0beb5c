"""`python -m agentcl.report --run-dir DIR`."""

import sys

from .cli import main

sys.exit(main())
