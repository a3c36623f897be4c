"""The real backend: verify pins, then load with ``transformers`` (4-bit on CUDA when asked)."""

from __future__ import annotations

import importlib.util
from typing import Any

from serving.integrity import LoadError, verify_checkpoint
from serving.models import LoadedModel, ModelSpec


def cuda_available() -> bool:
    """True when this torch build can use a CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def cuda_index_for_uuid(uuid: str, fallback_index: int) -> int:
    """Map an NVML GPU UUID to the CUDA device index torch uses (they differ under masking)."""
    import torch

    for index in range(torch.cuda.device_count()):
        torch_uuid = str(torch.cuda.get_device_properties(index).uuid)
        if uuid.removeprefix("GPU-") == torch_uuid.removeprefix("GPU-"):
            return index
    return fallback_index


def _quantization_config(spec: ModelSpec) -> Any:
    if spec.quantization == "none":
        return None
    if importlib.util.find_spec("bitsandbytes") is None:
        raise LoadError(
            f"{spec.name}: quantization={spec.quantization} needs bitsandbytes on CUDA; "
            '`pip install bitsandbytes`, or set quantization = "none" in the registry'
        )
    import torch
    import transformers

    bnb_config: Any = transformers.BitsAndBytesConfig

    if spec.quantization == "4bit":
        return bnb_config(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
    return bnb_config(load_in_8bit=True)


class TransformersLoader:
    """Loads registry entries with ``AutoModelForCausalLM`` / ``AutoTokenizer``."""

    def __init__(self, max_prompt_tokens: int = 2048) -> None:
        self._max_prompt_tokens = max_prompt_tokens

    def load(self, spec: ModelSpec, device: str) -> LoadedModel:
        """Verify ``spec``'s pins and load it onto ``device`` (``cpu`` or ``cuda:N``)."""
        verify_checkpoint(spec)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging

        hf_logging: Any = logging

        from serving.generation import TransformersModel

        hf_logging.disable_progress_bar()
        kwargs: dict[str, Any] = {"revision": spec.revision}
        if device.startswith("cuda"):
            kwargs["device_map"] = {"": device}
            kwargs["dtype"] = torch.bfloat16
            kwargs["quantization_config"] = _quantization_config(spec)
        else:
            kwargs["dtype"] = torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(spec.checkpoint, revision=spec.revision)
            model: Any = AutoModelForCausalLM.from_pretrained(spec.checkpoint, **kwargs)
        except (OSError, ValueError) as exc:
            raise LoadError(
                f"{spec.name}: cannot load {spec.checkpoint} ({exc}); check the checkpoint path or "
                "hub id, and HF_HUB_OFFLINE / network access"
            ) from exc
        model.eval()
        return TransformersModel(model, tokenizer, device, self._max_prompt_tokens)
