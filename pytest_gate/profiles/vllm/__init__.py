"""The vllm gate profile: vLLM's own metrics (per ``model_name``) and its OpenAI-compatible API."""
