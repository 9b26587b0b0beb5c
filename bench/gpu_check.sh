#!/usr/bin/env bash
# The GPU check: the project's GPU path, measured in two short calls on one GPU machine.
#
#   bash bench/gpu_check.sh [--dry-run] [--parts a,b,c] [--out DIR]
#   bash bench/gpu_check.sh --download-wheels      # here, before the GPU calls (needs PyPI)
#
#   a  one GRPO step, random Qwen3-4B shape, LoRA bf16 and QLoRA nf4, group 8 x 4k tokens:
#      step time, tokens/s, peak GPU memory                                 (bench/train_step.py)
#   b  batched lockstep generation, 16 and 64 conversations, vs one at a time (bench/rollout_throughput.py)
#   c  two-stage mini curriculum (tiny agent, scripted user, offline judge) through
#      `run_with_accelerate.sh single`, to its report
# Results: DIR/gpu_check_<parts>.{json,md,log} (+ curriculum_metrics.json); DIR defaults to $OUT,
# else outputs/gpu_check. --dry-run: CPU, tiny shapes, the same scripts (the test suite runs it).
#
# The GPU machine (one H200; python3 with torch 2.11, transformers 5.17, accelerate, peft; no trl,
# datasets, bitsandbytes, pydantic, litellm; no network) gets the missing packages as wheels in
# the ignored folder .whl/ (46 MB; litellm is not needed: the user is scripted, the judge offline,
# and this script makes any import of litellm fail to prove it). The device calls, from the
# repository root (expected ~3.5 and ~4 minutes of work plus each machine start; the device
# budget is 15 minutes in all, so no third call):
#   1. here:     bash bench/gpu_check.sh --download-wheels      (then .whl/ holds 11 wheels, 46 MB)
#   2. device:   run(command="bash bench/gpu_check.sh --parts a", carry=[".whl"], timeout_s=360)
#   3. device:   run(command="bash bench/gpu_check.sh --parts b,c", carry=[".whl"], timeout_s=450)
#      then give_back; the results come back as files_at/gpu_check_a.{md,json,log} and
#      gpu_check_bc.{md,json,log} + curriculum_metrics.json: copy the .md tables into the README's
#      "GPU check" section with the date and GPU. A part that fails still leaves the others' figures.
set -euo pipefail
cd "$(dirname "$0")/.."

dry=""; parts="a,b,c"; out="${OUT:-outputs/gpu_check}"; download=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry="--dry-run"; shift ;;
    --parts) parts="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --download-wheels) download=1; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# the GPU machine's missing packages, at this project's pins (python 3.12, x86-64 manylinux)
WHEELS=(trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 bitsandbytes==0.50.2 pydantic==2.14.4
        pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing_extensions==4.16.0
        tomli_w==1.2.0)
if [ -n "$download" ]; then
  platforms=()
  for p in manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 manylinux2014 manylinux1; do
    platforms+=(--platform "${p}_x86_64")
  done
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .whl "${WHEELS[@]}"
  du -sh .whl
  exit 0
fi

if [ -n "$dry" ]; then
  PY="${AGENTCL_PYTHON:-$( [ -x .venv/bin/python ] && echo "$PWD/.venv/bin/python" || command -v python3 )}"
  site=""
else
  PY="${AGENTCL_PYTHON:-$(command -v python3)}"
  site=""
  if compgen -G ".whl/*.whl" > /dev/null; then
    site=/tmp/agentcl-gpu-site
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
  fi
fi

# litellm must not be needed: a package of that name that refuses to import shadows any installed one
block=$(mktemp -d)
trap 'rm -rf "$block"' EXIT
mkdir "$block/litellm"
echo 'raise ImportError("gpu_check: litellm is not installed on the GPU machine; this path must not need it")' \
  > "$block/litellm/__init__.py"

export PYTHONPATH="$block:$PWD/src${site:+:$site}${PYTHONPATH:+:$PYTHONPATH}"
export AGENTCL_PYTHON="$PY" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
  LITELLM_LOCAL_MODEL_COST_MAP=True TRL_EXPERIMENTAL_SILENCE=1 PYTHONUNBUFFERED=1
# shellcheck disable=SC2086  # $dry is empty or one flag
"$PY" bench/gpu_check.py --parts "$parts" --out "$out" $dry
