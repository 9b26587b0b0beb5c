"""The continual-learning curriculum: stages, evaluation, the stage-by-stage runner, metrics.

- stages.py: `Stage` specs (domain, data, splits, task counts, replay ratio) from flags / YAML
- evaluate.py: `PolicyEvaluator`: a policy on tasks x trials through the rollout engine, scored
- runner.py: `run_curriculum(config)`: zero-shot, then train + evaluate every stage per stage, report
- evaluate_cli.py: `python -m agentcl eval` (a model or checkpoint, no training)
- warmstart.py: supervised warm start on gold conversations played by an oracle agent
- metrics.py: pass^k, the accuracy matrix, transfer and forgetting

Modules are imported on use (the runner pulls in torch and TRL; metrics must stay light).
"""
