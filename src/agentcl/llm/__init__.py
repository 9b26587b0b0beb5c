"""The LLM client (litellm Router over OpenAI-compatible endpoints) shared by user simulators and judges."""
