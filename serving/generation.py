"""A loaded ``transformers`` model that writes briefs, guided by xgrammar's JSON-schema grammar."""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import xgrammar as xgr
from xgrammar.contrib.hf import LogitsProcessor

from serving.brief import generation_schema
from serving.models import ModelReleased


def compile_brief_grammar(tokenizer: Any, vocab_size: int) -> xgr.CompiledGrammar:
    """Compile the brief generation schema for ``tokenizer`` (compact JSON, no free whitespace)."""
    info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
    compiler = xgr.GrammarCompiler(info)
    return compiler.compile_json_schema(generation_schema(), any_whitespace=False)


def render_prompt(tokenizer: Any, messages: Sequence[Mapping[str, str]]) -> tuple[str, bool]:
    """Render chat ``messages``; returns (prompt, whether it already holds special tokens)."""
    if getattr(tokenizer, "chat_template", None):
        prompt = tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, tokenize=False
        )
        return str(prompt), True
    lines = [f"{message['role']}: {message['content']}" for message in messages]
    return "\n".join([*lines, "assistant: "]), False


class TransformersModel:
    """Weights, tokenizer and compiled grammar of one model; safe to call from worker threads."""

    def __init__(
        self, model: Any, tokenizer: Any, device: str, max_prompt_tokens: int = 2048
    ) -> None:
        self._model = model
        self._max_prompt_tokens = max_prompt_tokens
        self._tokenizer = tokenizer
        self._device = device
        text_config = model.config.get_text_config()
        self._max_positions = int(getattr(text_config, "max_position_embeddings", 4096))
        self._grammar = compile_brief_grammar(tokenizer, int(text_config.vocab_size))
        self._footprint_bytes = int(model.get_memory_footprint())

    @property
    def device(self) -> str:
        """Where the weights live: ``cpu`` or ``cuda:N``."""
        return self._device

    @property
    def footprint_bytes(self) -> int:
        """Bytes taken by weights and buffers."""
        return self._footprint_bytes

    def generate(
        self, messages: Sequence[Mapping[str, str]], guided: bool, max_new_tokens: int
    ) -> str:
        """Greedy-decode a completion of ``messages``; ``guided`` applies the brief grammar."""
        model = self._model
        if model is None:
            raise ModelReleased("the model was unloaded")
        prompt, templated = render_prompt(self._tokenizer, [self._clip(m) for m in messages])
        encoded = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=not templated)
        input_ids = encoded["input_ids"][:, : max(1, self._max_positions - max_new_tokens)]
        input_ids = input_ids.to(model.device)
        processors = [LogitsProcessor(self._grammar)] if guided else []
        pad_id = self._tokenizer.pad_token_id
        with torch.inference_mode():
            output = model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                logits_processor=processors,
                pad_token_id=pad_id if pad_id is not None else self._tokenizer.eos_token_id,
            )
        completion = output[0, input_ids.shape[1] :]
        return str(self._tokenizer.decode(completion, skip_special_tokens=True))

    def _clip(self, message: Mapping[str, str]) -> Mapping[str, str]:
        """Cut a message to ``max_prompt_tokens`` tokens (long inputs cost time, not quality)."""
        ids = self._tokenizer(message["content"], add_special_tokens=False)["input_ids"]
        if len(ids) <= self._max_prompt_tokens:
            return message
        clipped = self._tokenizer.decode(ids[: self._max_prompt_tokens], skip_special_tokens=True)
        return {**message, "content": clipped}

    def release(self) -> None:
        """Drop the weights and free device memory."""
        self._model = None
        if self._device.startswith("cuda"):
            gc.collect()
            torch.cuda.empty_cache()
