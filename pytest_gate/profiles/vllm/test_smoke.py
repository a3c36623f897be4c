"""Post-deploy smoke checks against vLLM's OpenAI-compatible API (``-m smoke --serving-url``).

The fixtures in ``conftest.py`` do the HTTP; these checks only compare what came back.
"""

from __future__ import annotations

import pytest

from pytest_gate import Answer, Observer

from .served import HELD, LISTED


@pytest.mark.smoke
@pytest.mark.critical
def test_models_listed(gate: Observer, served_models: Answer) -> None:
    """Models listed

    GET /v1/models lists every model of [deployment] models (vLLM --served-model-name).
    """
    gate.expect(served_models, "==", LISTED, what="model listed", unit="", label_keys=("model",))


@pytest.mark.smoke
@pytest.mark.critical
def test_chat_json_schema(gate: Observer, served_chat: Answer) -> None:
    """Chat completion follows the JSON schema

    One POST /v1/chat/completions with response_format {type: json_schema} ([smoke]) returns
    message content that is JSON and validates against that schema.
    """
    gate.expect(served_chat, "==", HELD, what="response_format schema violated", unit="")
