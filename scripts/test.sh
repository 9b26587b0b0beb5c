#!/usr/bin/env bash
# The README's test command: set up .venv, then run the whole test suite, spread over
# $AGENTCL_TEST_WORKERS processes (default 2, pytest-xdist, one test file at a time each;
# AGENTCL_TEST_WORKERS=0: one process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_venv.sh
export LITELLM_LOCAL_MODEL_COST_MAP=True HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m pytest -n "${AGENTCL_TEST_WORKERS:-2}" --dist loadfile "$@"
