"""The vllm profile's smoke checks (``-m smoke --serving-url``) against a loopback server shaped on
vLLM's OpenAI-compatible API (tests/support/vllm_openai.py; vLLM itself cannot run here)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.profiles.conftest import ROOT, GateRun, copy_profile, profile_config, run_profile
from tests.profiles.vllm_data import MODELS
from tests.profiles.vllm_scenarios import LLAMA, QWEN
from tests.support.prometheus_server import free_port
from tests.support.vllm_openai import BREAKS, NOT_JSON, Behaviour, VllmOpenAI

SHIPPED_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
SMOKE_CHECKS = ("test_models_listed", "test_chat_json_schema")
DEADLINE_SECONDS = 3.0


def smoke(tmp_path: Path, url: str, *extra: str) -> GateRun:
    """``pytest DIR -m smoke --serving-url URL`` on a fresh copy of the profile."""
    gate_dir = copy_profile(tmp_path)
    models = ", ".join(f'"{m}"' for m in MODELS)
    config = profile_config(
        tmp_path,
        "smoke.toml",
        (
            (f'models = ["{SHIPPED_MODEL}"]', f"models = [{models}]"),
            (f'chat_model = "{SHIPPED_MODEL}"', f'chat_model = "{LLAMA}"'),
        ),
    )
    args = ["-m", "smoke", "--serving-url", url, "--gate-config", str(config), *extra]
    return run_profile(gate_dir, args, tmp_path / "report.json")


def test_healthy_api_passes_both_smoke_checks(tmp_path: Path) -> None:
    """Both models listed and a schema-valid structured reply: GO, and only the smoke checks ran."""
    behaviour = Behaviour(models=MODELS)
    with VllmOpenAI.serving(behaviour) as server:
        run = smoke(tmp_path, server.url)
    checks = run.checks()
    assert (run.report["verdict"], run.exit_code) == ("GO", 0), run.output
    assert sorted(checks) == sorted(SMOKE_CHECKS)
    assert all(c["outcome"] == "pass" for c in checks.values())


def test_chat_request_asks_for_the_configured_json_schema(tmp_path: Path) -> None:
    """The one chat completion carries response_format {type: json_schema} with the schema."""
    behaviour = Behaviour(models=MODELS)
    with VllmOpenAI.serving(behaviour) as server:
        smoke(tmp_path, server.url)
    (request,) = behaviour.received
    fmt = request["response_format"]
    assert (request["model"], fmt["type"]) == (LLAMA, "json_schema")
    assert fmt["json_schema"]["schema"]["required"] == ["colour", "confidence"]


def test_model_missing_from_v1_models_is_no_go_naming_it(tmp_path: Path) -> None:
    """A configured model that /v1/models does not list fails the critical check, named."""
    with VllmOpenAI.serving(Behaviour(models=(LLAMA,))) as server:
        run = smoke(tmp_path, server.url)
    listed = run.checks()["test_models_listed"]
    assert (run.report["verdict"], listed["outcome"]) == ("NO-GO", "fail")
    assert QWEN in str(listed["message"])


@pytest.mark.parametrize(
    ("content", "problem"), [(BREAKS, "missing 'colour'"), (NOT_JSON, "not JSON")]
)
def test_reply_that_breaks_the_schema_is_no_go(tmp_path: Path, content: str, problem: str) -> None:
    """Content that is not JSON, or JSON without a required key, fails with the problem."""
    with VllmOpenAI.serving(Behaviour(models=MODELS, content=content)) as server:
        run = smoke(tmp_path, server.url)
    chat = run.checks()["test_chat_json_schema"]
    assert (run.report["verdict"], chat["outcome"]) == ("NO-GO", "fail")
    assert problem in str(chat["message"]) + str(chat["series"])


def test_engine_error_answer_is_no_go(tmp_path: Path) -> None:
    """An HTTP 500 ErrorResponse from the chat endpoint fails the check with the status."""
    with VllmOpenAI.serving(Behaviour(models=MODELS, chat_status=500)) as server:
        run = smoke(tmp_path, server.url)
    chat = run.checks()["test_chat_json_schema"]
    assert chat["outcome"] == "fail"
    assert "HTTP 500" in str(chat["series"])


def test_hanging_api_is_an_error_within_the_gate_deadline(tmp_path: Path) -> None:
    """A chat completion that outlasts --gate-deadline is an error, and the run ends near it."""
    with VllmOpenAI.serving(Behaviour(models=MODELS, delay_seconds=30.0)) as server:
        started = time.monotonic()
        run = smoke(tmp_path, server.url, "--gate-deadline", str(DEADLINE_SECONDS))
        elapsed = time.monotonic() - started
    chat = run.checks()["test_chat_json_schema"]
    assert (run.report["verdict"], chat["outcome"]) == ("NO-GO", "error")
    assert elapsed < 20.0


def test_unreachable_api_is_an_error(tmp_path: Path) -> None:
    """Nothing listening at --serving-url: both smoke checks are errors, never a pass."""
    run = smoke(tmp_path, f"http://127.0.0.1:{free_port()}")
    outcomes = {c: run.checks()[c]["outcome"] for c in SMOKE_CHECKS}
    assert outcomes == {c: "error" for c in SMOKE_CHECKS}
    assert run.report["verdict"] == "NO-GO"


def test_profile_run_with_the_default_gate_config_says_which_file_to_pass(tmp_path: Path) -> None:
    """The profile with a default-gate gate.toml: every check errors naming the file, NO-GO."""
    default = ROOT / "gate_checks" / "gate.toml"
    gate_dir = copy_profile(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    args = ["--gate-config", str(default), "--prometheus-url", url, "--gpu-source", "none"]
    run = run_profile(gate_dir, args, tmp_path / "report.json")
    assert run.report["verdict"] == "NO-GO"
    messages = {c["outcome"]: c["message"] for c in run.report["checks"]}
    assert set(messages) == {"error"}
    assert "is not a vllm profile config" in messages["error"]
