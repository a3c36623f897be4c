"""Build three tiny random checkpoints of the real architectures, plus a registry pointing at them.

``python -m serving.tiny_models DIR`` writes ``DIR/{qwen2,llama,mistral}/`` (config, safetensors
weights, a byte-level BPE tokenizer trained here with ``tokenizers``) and ``DIR/registry.toml``
with the SHA-256 of every weight file. Nothing is downloaded; each checkpoint is well under 1 MB.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serving.integrity import sha256_file

VOCAB_SIZE = 1024
MAX_POSITIONS = 8192
SPECIAL_TOKENS = ("<|endoftext|>", "<|pad|>")
WEIGHTS_FILE = "model.safetensors"


@dataclass(frozen=True)
class TinySpec:
    """One tiny checkpoint: registry name, mode, architecture family and expected VRAM."""

    name: str
    mode: str
    family: str
    repair: bool
    expected_vram_bytes: int


TINY_MODELS = (
    TinySpec("qwen_32b", "creative", "qwen2", False, 16 * 2**20),
    TinySpec("llama3_8b", "balanced", "llama", False, 5 * 2**20),
    TinySpec("mistral_7b", "fast", "mistral", True, 4 * 2**20),
)


def _corpus() -> Iterator[str]:
    """Text the tokenizer learns from: brief-shaped JSON and a few requests."""
    moods = ["fresh", "warm", "calm", "bright", "woody", "sweet", "따뜻한", "상쾌한"]
    notes = ["citrus", "bergamot", "vanilla", "musk", "amber", "rose", "cedar", "vetiver"]
    for mood, note, season in itertools.product(moods, notes, ["spring", "summer", "autumn"]):
        yield (
            f'{{"language": "en", "mood": ["{mood}"], "season": ["{season}"], '
            f'"notes_preference": {{"{note}": 0.25}}, "forbidden_ingredients": [], '
            '"budget_tier": "mid", "target_profile": "daily_fresh", "constraints": {}, '
            f'"product_category": "EDP", "creative_hints": ["{mood} {note}"]}}'
        )
        yield f"A {mood} perfume with {note} for {season} evenings, not too sweet."


def build_tokenizer(out_dir: Path) -> None:
    """Train a byte-level BPE tokenizer and save it in transformers format under ``out_dir``."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer_cls: Any = transformers.PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    eos, pad = SPECIAL_TOKENS
    fast = tokenizer_cls(tokenizer_object=tokenizer, bos_token=eos, eos_token=eos, pad_token=pad)
    fast.save_pretrained(str(out_dir))


def build_model(spec: TinySpec, out_dir: Path, seed: int) -> None:
    """Save a randomly initialised tiny model of ``spec.family`` under ``out_dir``."""
    import torch
    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        MistralConfig,
        MistralForCausalLM,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    families = {
        "qwen2": (Qwen2Config, Qwen2ForCausalLM),
        "llama": (LlamaConfig, LlamaForCausalLM),
        "mistral": (MistralConfig, MistralForCausalLM),
    }
    config_cls, model_cls = families[spec.family]
    config = config_cls(
        vocab_size=VOCAB_SIZE,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=1,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = model_cls(config)
    model.save_pretrained(str(out_dir))


def registry_toml(entries: Sequence[tuple[TinySpec, str]]) -> str:
    """Render ``registry.toml`` for built checkpoints given as (spec, weights sha256)."""
    lines = ["# Tiny random checkpoints built by `python -m serving.tiny_models`.", ""]
    for spec, digest in entries:
        lines += [
            f"[models.{spec.name}]",
            f'mode = "{spec.mode}"',
            f'checkpoint = "./{spec.family}"',
            f'revision = "tiny-{digest[:12]}"',
            'quantization = "none"',
            f"expected_vram_bytes = {spec.expected_vram_bytes}",
            f"repair = {'true' if spec.repair else 'false'}",
            "",
            f"[models.{spec.name}.sha256]",
            f'"{WEIGHTS_FILE}" = "{digest}"',
            "",
        ]
    return "\n".join(lines)


def build_tiny_models(root: Path) -> Path:
    """Build all tiny checkpoints under ``root``; return the registry path."""
    from transformers.utils import logging

    hf_logging: Any = logging
    hf_logging.disable_progress_bar()
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for seed, spec in enumerate(TINY_MODELS):
        out_dir = root / spec.family
        out_dir.mkdir(exist_ok=True)
        build_tokenizer(out_dir)
        build_model(spec, out_dir, seed=seed)
        entries.append((spec, sha256_file(out_dir / WEIGHTS_FILE)))
    registry = root / "registry.toml"
    registry.write_text(registry_toml(entries), encoding="utf-8")
    return registry


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: build the tiny models into DIR and print the registry path."""
    parser = argparse.ArgumentParser(prog="python -m serving.tiny_models", description=__doc__)
    parser.add_argument("dir", type=Path, help="output folder (created if missing)")
    args = parser.parse_args(argv)
    registry = build_tiny_models(args.dir)
    sys.stdout.write(f"{registry}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
