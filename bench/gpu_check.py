#!/usr/bin/env python
"""The GPU check's measurements, run by `bench/gpu_check.sh` (which prepares the interpreter).

Parts (each in its own processes, so one failing does not lose the others' figures):
  a  one GRPO step of a random Qwen3-4B-shaped model, LoRA bf16 and QLoRA nf4, group 8 x 4k-token
     conversations: step time, tokens/s, peak GPU memory (`bench/train_step.py`);
  b  batched lockstep generation at 16 and 64 conversations against one at a time, same model
     shape, scripted agent plan, in-process scripted user (`bench/rollout_throughput.py`);
  c  a two-stage mini curriculum (tiny agent, scripted user, offline judge) through
     `run_with_accelerate.sh single`, to its report.

`--dry-run` runs the same scripts on CPU with tiny shapes. Results: `<out>/gpu_check_<parts>.json`
and `.md` (a table the README quotes), `<out>/gpu_check_<parts>.log` (every command's output) and,
for part c, `<out>/curriculum_metrics.json`. Exit status 1 when a part failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"

# (full run on the GPU, dry run on CPU): arguments of each part's script
TRAIN_STEP_ARGS = {
    False: ["--shape", "qwen3-4b", "--modes", "lora,qlora", "--group-size", "8", "--prompt-tokens", "1024",
            "--completion-tokens", "3072", "--micro-batch", "1", "--steps", "2"],
    True: ["--shape", "tiny", "--modes", "lora,qlora", "--group-size", "2", "--prompt-tokens", "32",
           "--completion-tokens", "96", "--micro-batch", "2", "--steps", "1"],
}
ROLLOUT_ARGS = {
    False: ["--shape", "qwen3-4b", "--device", "cuda", "--conversations", "16,64", "--sequential-sample", "2",
            "--user", "scripted", "--max-new-tokens", "48", "--max-steps", "20"],
    True: ["--shape", "tiny", "--device", "cpu", "--conversations", "2,4", "--sequential-sample", "1",
           "--user", "scripted", "--max-new-tokens", "16", "--max-steps", "8"],
}
CURRICULUM_FLAGS = {
    False: ["--domains", "mock,airline", "--tasks-per-domain", "2", "--eval-tasks-per-domain", "4",
            "--eval-trials", "2", "--group-size", "4", "--tasks-per-step", "2", "--max-steps", "3",
            "--save-steps", "3", "--max-conversation-steps", "12", "--max-new-tokens", "48"],
    True: ["--domains", "mock,airline", "--tasks-per-domain", "1", "--eval-tasks-per-domain", "1",
           "--eval-trials", "1", "--group-size", "2", "--tasks-per-step", "1", "--max-steps", "1",
           "--save-steps", "1", "--max-conversation-steps", "4", "--max-new-tokens", "16"],
}
TIMEOUT_S = {"a": 300, "b": 200, "c": 200}  # seconds per part (the device calls allow 360 and 450)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default="a,b,c", help="comma-separated: a (train step), b (generation), c (curriculum)")
    p.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "outputs" / "gpu_check"))
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny shapes, same scripts")
    args = p.parse_args(argv)
    args.parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = [x for x in args.parts if x not in TIMEOUT_S]
    if unknown or not args.parts:
        p.error(f"unknown part(s) {unknown}; use a, b, c")
    return args


class Log:
    """Every command's output, appended to one file; a failure prints the tail too."""

    def __init__(self, path: Path):
        self.path = path
        path.write_text("")

    def run(self, name: str, cmd: list[str], timeout: int, env: dict | None = None) -> tuple[int, str, float]:
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
            code, text = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            code = 124
            text = "".join(x.decode() if isinstance(x, bytes) else (x or "") for x in (exc.stdout, exc.stderr))
            text += f"\n[timed out after {timeout}s]"
        wall = time.perf_counter() - t0
        with self.path.open("a") as f:
            f.write(f"===== {name}: {' '.join(cmd)}\n===== exit {code} after {wall:.1f}s\n{text}\n")
        print(f"[{name}] exit {code} after {wall:.1f}s", flush=True)
        if code != 0:
            print(text[-3000:], file=sys.stderr, flush=True)
        return code, text, wall


def part_a(dry: bool, log: Log, tmp: Path) -> dict:
    out = tmp / "train_step.json"
    code, _, wall = log.run("a: GRPO step", [sys.executable, str(BENCH / "train_step.py"), *TRAIN_STEP_ARGS[dry],
                                             "--json-out", str(out)], TIMEOUT_S["a"])
    result = {"wall_s": round(wall, 1), "exit": code, "args": TRAIN_STEP_ARGS[dry]}
    if out.exists():
        result["results"] = json.loads(out.read_text())["results"]
    return result


def part_b(dry: bool, log: Log, tmp: Path) -> dict:
    out = tmp / "rollout.json"
    code, _, wall = log.run("b: lockstep generation", [sys.executable, str(BENCH / "rollout_throughput.py"),
                                                       *ROLLOUT_ARGS[dry], "--json-out", str(out)], TIMEOUT_S["b"])
    result = {"wall_s": round(wall, 1), "exit": code, "args": ROLLOUT_ARGS[dry]}
    if out.exists():
        keep = ("wall_s", "agent_tokens_per_s", "conversations", "agent_turns", "generate_calls")
        result["results"] = [
            {"n": r["n"], "ratio_agent_tokens_per_s": round(r["ratio_agent_tokens_per_s"], 2),
             **{mode: {k: r[mode][k] for k in keep} for mode in ("sequential", "batched")}}
            for r in json.loads(out.read_text())["results"]]
    return result


def part_c(dry: bool, log: Log, tmp: Path, out_dir: Path) -> dict:
    run_dir = tmp / "curriculum"
    flags = ["--model", "tiny", *CURRICULUM_FLAGS[dry], "--user-type", "scripted", "--lora-r", "4",
             "--lora-alpha", "8", "--no-gradient-checkpointing", "--output-dir", str(run_dir)]
    env = dict(os.environ, AGENTCL_PYTHON=sys.executable)
    if dry:  # the same launcher on CPU: accelerate's CPU switch, no bf16
        env.update(ACCELERATE_USE_CPU="true", CUDA_VISIBLE_DEVICES="", AGENTCL_LAUNCH_ARGS="--cpu --mixed_precision no")
    code, _, wall = log.run("c: mini curriculum", ["bash", str(ROOT / "run_with_accelerate.sh"), "single", *flags],
                            TIMEOUT_S["c"], env=env)
    result = {"wall_s": round(wall, 1), "exit": code, "flags": flags,
              "report": (run_dir / "report.html").exists(), "metrics": (run_dir / "metrics.json").exists()}
    if result["metrics"]:
        metrics = json.loads((run_dir / "metrics.json").read_text())
        shutil.copy(run_dir / "metrics.json", out_dir / "curriculum_metrics.json")
        result["stages"] = metrics.get("stages")
        result["accuracy_matrix"] = metrics.get("accuracy_matrix")  # random tiny agent: a path check, not learning
    if code == 0 and not (result["report"] and result["metrics"]):
        result["exit"] = 1  # finished without its report
    return result


def environment() -> dict:
    import torch

    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(), "torch": torch.__version__,
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"}
    for name in ("transformers", "trl", "peft", "accelerate", "bitsandbytes"):
        try:
            info[name] = __import__(name).__version__
        except Exception as exc:  # noqa: BLE001 - reported, the part that needs it fails on its own
            info[name] = f"missing ({type(exc).__name__})"
    return info


def markdown(report: dict) -> str:
    env = report["environment"]
    lines = [f"GPU check{' (dry run, CPU, tiny shapes)' if report['dry_run'] else ''}: {env['date']}, "
             f"{env['device']}, torch {env['torch']}, transformers {env['transformers']}, trl {env['trl']}, "
             f"bitsandbytes {env['bitsandbytes']}", "", "| part | figure | value |", "| --- | --- | --- |"]
    parts = report["parts"]
    if "a" in parts:
        a = parts["a"]
        for r in a.get("results", []):
            if "error" in r:
                lines.append(f"| a: GRPO step {r['mode']} | failed | {r['error']} |")
                continue
            peak = "-" if r["peak_gpu_gib"] is None else f"{r['peak_gpu_gib']:.1f} GiB"
            lines.append(f"| a: GRPO step {r['mode']} | step time / tokens/s / peak memory | "
                         f"{r['step_s']:.2f} s / {r['tokens_per_s']:,.0f} / {peak} |")
        if "results" not in a:
            lines.append(f"| a: GRPO step | failed | exit {a['exit']} |")
    if "b" in parts:
        b = parts["b"]
        for r in b.get("results", []):
            lines.append(f"| b: lockstep generation, {r['n']} conversations | generated tokens/s batched "
                         f"(one at a time) / ratio | {r['batched']['agent_tokens_per_s']:,.0f} "
                         f"({r['sequential']['agent_tokens_per_s']:,.0f}) / {r['ratio_agent_tokens_per_s']:.1f}x |")
        if "results" not in b:
            lines.append(f"| b: lockstep generation | failed | exit {b['exit']} |")
    if "c" in parts:
        c = parts["c"]
        state = "report written" if c["exit"] == 0 else f"failed (exit {c['exit']})"
        stages = " -> ".join(c.get("stages") or [])
        lines.append(f"| c: two-stage mini curriculum ({stages}) through run_with_accelerate.sh single | wall time | "
                     f"{c['wall_s']:.0f} s, {state} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "gpu_check_" + "".join(args.parts) + ("_dry_run" if args.dry_run else "")
    log = Log(out_dir / f"{stem}.log")
    report = {"dry_run": args.dry_run, "environment": environment(), "parts": {}}
    print(json.dumps(report["environment"]), flush=True)
    with tempfile.TemporaryDirectory(prefix="agentcl-gpu-check-") as tmp:
        for part in args.parts:
            if part == "a":
                report["parts"]["a"] = part_a(args.dry_run, log, Path(tmp))
            elif part == "b":
                report["parts"]["b"] = part_b(args.dry_run, log, Path(tmp))
            else:
                report["parts"]["c"] = part_c(args.dry_run, log, Path(tmp), out_dir)
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=2))
    table = markdown(report)
    (out_dir / f"{stem}.md").write_text(table)
    print(table, flush=True)
    return 0 if all(p["exit"] == 0 for p in report["parts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
