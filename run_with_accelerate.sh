#!/usr/bin/env bash
# Launch a run with Hugging Face Accelerate.
#
#   bash run_with_accelerate.sh [multi|single|custom CONFIG|demo] [run.py flags...]
#
#   multi           (default) accelerate_config.yaml, one process per visible GPU
#   single          accelerate_config_single_gpu.yaml, one process on the first visible GPU
#   custom CONFIG   any accelerate config (configs/deepspeed_zero2.yaml, configs/deepspeed_zero3.yaml,
#                   configs/accelerate_two_nodes.yaml, ...)
#   demo            offline CPU demo: tiny local model + local relay (run.py --preset demo)
#
# Everything after the mode goes to run.py unchanged (e.g. --model, --domains, --config FILE.yaml).
# Extra `accelerate launch` options (e.g. --machine_rank 1 on a second node): AGENTCL_LAUNCH_ARGS.
# AGENTCL_PYTHON=/path/to/python: use that interpreter as it is, without creating .venv (a machine
# with its own packages and no registry, e.g. bench/gpu_check.sh). AGENTCL_LAUNCH_ARGS holding
# --cpu (e.g. "--cpu --mixed_precision no") lets multi/single start without a GPU.
# API keys are read only from the environment (OPENAI_API_KEY, ...) or run.py flags; this script
# never reads, stores or prints one.
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "run_with_accelerate.sh: $*" >&2; exit 2; }

mode="multi"
if [ $# -gt 0 ]; then
  case "$1" in
    multi|single|demo) mode="$1"; shift ;;
    custom)
      shift
      [ $# -gt 0 ] || die "custom needs an accelerate config file: bash run_with_accelerate.sh custom CONFIG [flags...]"
      mode="custom"; custom_config="$1"; shift ;;
    -h|--help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) ;;  # no mode given: multi, and every argument is a run.py flag
    *) die "unknown mode '$1' (use multi, single, custom CONFIG or demo)" ;;
  esac
fi

case "$mode" in
  multi) config="accelerate_config.yaml" ;;
  single) config="accelerate_config_single_gpu.yaml" ;;
  custom) config="$custom_config" ;;
  demo) config="" ;;
esac
if [ -n "$config" ] && [ ! -f "$config" ]; then
  die "accelerate config file not found: $config"
fi

if [ -n "${AGENTCL_PYTHON:-}" ]; then
  PY="$AGENTCL_PYTHON"
else
  bash scripts/setup_venv.sh
  PY=.venv/bin/python
fi
export LITELLM_LOCAL_MODEL_COST_MAP=True TOKENIZERS_PARALLELISM=false

if [ "$mode" = "demo" ]; then
  # CPU only and offline: no GPU, nothing from the hub, the relay plays the customer and the judge.
  export CUDA_VISIBLE_DEVICES="" ACCELERATE_USE_CPU=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
  exec "$PY" run.py --preset demo "$@"
fi

num_gpus=$("$PY" -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)")
on_cpu=""
case " ${AGENTCL_LAUNCH_ARGS:-} " in *" --cpu "*) on_cpu=1 ;; esac
if { [ "$mode" = "multi" ] || [ "$mode" = "single" ]; } && [ -z "$on_cpu" ]; then
  [ "$num_gpus" -gt 0 ] || die "mode '$mode' needs a GPU but none is visible (CUDA_VISIBLE_DEVICES='${CUDA_VISIBLE_DEVICES-}'); use 'demo' for the CPU run"
fi

launch_args=(--config_file "$config")
if [ "$mode" = "multi" ]; then
  launch_args+=(--num_processes "$num_gpus")
fi
if [ "$mode" = "single" ] && [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  # the config says gpu_ids '0', which accelerate would turn into CUDA_VISIBLE_DEVICES=0: keep the
  # user's choice instead (the first GPU they made visible)
  launch_args+=(--gpu_ids "${CUDA_VISIBLE_DEVICES%%,*}")
fi
# shellcheck disable=SC2206  # word splitting of the user's extra launch options is intended
extra_launch=(${AGENTCL_LAUNCH_ARGS:-})

echo "run_with_accelerate.sh: mode=$mode config=$config visible GPUs=$num_gpus" >&2
exec "$PY" -m accelerate.commands.launch "${launch_args[@]}" "${extra_launch[@]}" run.py "$@"
