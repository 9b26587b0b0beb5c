"""The NL judge: async dispatcher, cache, HTTP client, prompts, parsing, LLM and heuristic judges,
the runtime that wires them, and the TRL reward function that collects their scores."""
