"""The gate config: the shipped gate.toml, and every way a bad file is rejected with key and fix."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from pytest_gate.config.gateconfig import ConfigError, GateConfig, load_config
from pytest_gate.core.query import Matcher
from pytest_gate.gpu.memory import MIN_HEADROOM_RATIO, WARN_HEADROOM_RATIO

DEFAULT_TOML = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped gate.toml with one exact text replaced."""
    text = DEFAULT_TOML.read_text()
    assert old in text, f"{old!r} is not in gate.toml"
    path = tmp_path / "gate.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def load_variant(tmp_path: Path, old: str, new: str) -> GateConfig:
    return load_config(write_variant(tmp_path, old, new))


def set_in_table(tmp_path: Path, table: str, line: str) -> Path:
    """A copy of the shipped gate.toml with ``line`` added right under the ``[table]`` header."""
    header = f"[{table}]\n"
    text = DEFAULT_TOML.read_text()
    assert header in text, f"{header!r} is not in gate.toml"
    path = tmp_path / "gate.toml"
    path.write_text(text.replace(header, header + line + "\n", 1))
    return path


def drop_table(tmp_path: Path, table: str) -> Path:
    """A copy of the shipped gate.toml without the ``[table]`` section."""
    text = DEFAULT_TOML.read_text()
    start = text.index(f"[{table}]\n")
    end = text.find("\n[", start + 1)
    path = tmp_path / "gate.toml"
    path.write_text(text[:start] + (text[end + 1 :] if end >= 0 else ""))
    return path


def error_of(tmp_path: Path, old: str, new: str) -> str:
    path = write_variant(tmp_path, old, new)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    return str(excinfo.value)


@pytest.fixture(scope="module")
def default() -> GateConfig:
    return load_config(DEFAULT_TOML)


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("api_5xx_rate.max_ratio", 0.005),
        ("api_5xx_rate.window_seconds", 300),
        ("schema_failure_rate.max_ratio", 0.0),
        ("schema_failure_rate.window_seconds", 1800),
        ("creative_p95_sustained.sustained_seconds", 300),
        ("rl_loss_ceiling.max_loss", 2.0),
        ("rl_loss_vs_baseline.max_baseline_ratio", 3.0),
        ("rl_loss_vs_baseline.baseline_window_seconds", 7200),
        ("rl_reward_trend.min_slope_per_hour", 0.0),
        ("rl_reward_trend.window_seconds", 7200),
        ("cache_hit_rate.min_hit_ratio", 0.6),
        ("cache_hit_rate.window_seconds", 1800),
        ("cpu_usage.max_limit_ratio", 0.85),
        ("memory_usage.max_limit_ratio", 0.85),
        ("vram_headroom.min_free_ratio", 0.20),
        ("vram_headroom_margin.min_free_ratio", 0.25),
    ],
)
def test_shipped_gate_toml_has_the_design_defaults(
    default: GateConfig, attribute: str, expected: float
) -> None:
    """The shipped gate.toml holds the thresholds of DESIGN §7."""
    section, key = attribute.split(".")
    assert getattr(getattr(default.checks, section), key) == expected


def test_shipped_latency_limits_are_per_mode(default: GateConfig) -> None:
    """p95 limits are 2.5 / 3.2 / 4.5 s for fast / balanced / creative."""
    assert default.checks.p95_latency.p95_max_seconds == {
        "fast": 2.5,
        "balanced": 3.2,
        "creative": 4.5,
    }


def test_every_shipped_key_has_a_comment() -> None:
    """Every key line of the shipped gate.toml carries a comment, on the line or just above."""
    lines = DEFAULT_TOML.read_text().splitlines()
    uncommented = [
        line
        for number, line in enumerate(lines)
        if re.match(r"^[a-z_0-9]+ = ", line)
        and "#" not in line
        and not lines[number - 1].startswith("#")
    ]
    assert uncommented == []


def test_config_records_path_and_sha256(default: GateConfig) -> None:
    """The report's config path and content hash come from the loaded file."""
    assert default.path == DEFAULT_TOML
    assert default.sha256 == hashlib.sha256(DEFAULT_TOML.read_bytes()).hexdigest()


def test_label_selector_becomes_equality_matchers(tmp_path: Path) -> None:
    """[gate] label_selector turns into sorted = matchers applied to every query."""
    config = load_variant(
        tmp_path, "label_selector = {}", 'label_selector = { namespace = "prod", cluster = "eu" }'
    )
    assert config.label_matchers == (
        Matcher("cluster", "=", "eu"),
        Matcher("namespace", "=", "prod"),
    )


def test_custom_gpu_exporter_reads_the_gpu_memory_names(tmp_path: Path) -> None:
    """``gpu_exporter = "custom"`` maps another exporter by the three gpu_memory_* names."""
    text = DEFAULT_TOML.read_text()
    text = text.replace('gpu_exporter = "pytest-gate"', 'gpu_exporter = "custom"')
    text = text.replace(
        'gpu_memory_free = "nvidia_gpu_memory_free_bytes"', 'gpu_memory_free = "fb"'
    )
    path = tmp_path / "gate.toml"
    path.write_text(text)
    exporter = load_config(path).gpu_exporter
    assert (exporter.name, exporter.free, exporter.total) == (
        "custom",
        "fb",
        "nvidia_gpu_memory_total_bytes",
    )


@pytest.mark.parametrize(
    ("value", "free", "uuid_label"),
    [
        ("pytest-gate", "nvidia_gpu_memory_free_bytes", "uuid"),
        ("dcgm", "DCGM_FI_DEV_FB_FREE", "UUID"),
        ("nvidia-smi", "nvidia_smi_memory_free_bytes", "uuid"),
    ],
)
def test_gpu_exporter_presets_name_their_own_metrics(
    tmp_path: Path, value: str, free: str, uuid_label: str
) -> None:
    """One line picks an exporter: its free-memory gauge and UUID label come with it."""
    config = load_variant(tmp_path, 'gpu_exporter = "pytest-gate"', f'gpu_exporter = "{value}"')
    assert (config.gpu_exporter.free, config.gpu_exporter.uuid_label) == (free, uuid_label)


def test_unknown_gpu_exporter_names_the_choices(tmp_path: Path) -> None:
    """A typo in gpu_exporter is a config error that lists every valid exporter."""
    message = error_of(tmp_path, 'gpu_exporter = "pytest-gate"', 'gpu_exporter = "dcgm-exporter"')
    assert "metrics.gpu_exporter: 'dcgm-exporter' is not allowed" in message
    assert "use one of: pytest-gate, dcgm, nvidia-smi, custom" in message


def test_renamed_gpu_memory_key_with_a_preset_is_refused(tmp_path: Path) -> None:
    """A renamed gpu_memory_* key would be ignored by a preset: a config error says so."""
    message = error_of(
        tmp_path,
        'gpu_memory_free = "nvidia_gpu_memory_free_bytes"',
        'gpu_memory_free = "fb_free"',
    )
    assert "metrics.gpu_memory_free: is 'fb_free', but gpu_exporter = 'pytest-gate'" in message
    assert 'set gpu_exporter = "custom"' in message


def test_error_message_has_path_key_problem_and_fix(tmp_path: Path) -> None:
    """Every message reads "<path>: <dotted.key>: <problem>; <fix>"."""
    message = error_of(tmp_path, "max_ratio = 0.005", 'max_ratio = "0.5%"')
    assert message == (
        f"{tmp_path / 'gate.toml'}: checks.api_5xx_rate.max_ratio: expected a number, "
        "got a string '0.5%'; write a plain number without quotes or units, e.g. 0.005"
    )


def test_unknown_key_is_rejected_with_the_allowed_keys(tmp_path: Path) -> None:
    """A misspelt key names itself and lists the keys that are allowed there."""
    message = error_of(tmp_path, "max_ratio = 0.005", "max_ration = 0.005")
    assert "checks.api_5xx_rate.max_ration: unknown key; allowed keys here are: " in message
    assert "max_ratio" in message


def test_unknown_check_table_is_rejected(tmp_path: Path) -> None:
    """A [checks.<name>] for no known check is an error pointing at [custom.<name>]."""
    path = set_in_table(tmp_path, "checks.metrics_exposed", "")
    path.write_text(path.read_text() + "\n[checks.latency_p99]\nenabled = true\n")
    with pytest.raises(ConfigError, match=r": checks\.latency_p99: unknown key; allowed keys here"):
        load_config(path)


def test_unknown_top_level_table_is_rejected(tmp_path: Path) -> None:
    """An unknown top-level table is rejected like an unknown key."""
    message = error_of(tmp_path, "[smoke]", "[smoky]")
    assert ": smoky: unknown key" in message


def test_missing_key_names_the_key(tmp_path: Path) -> None:
    """A required key that is absent names its dotted path."""
    message = error_of(tmp_path, "min_lookups = 20", "")
    assert ": checks.cache_hit_rate.min_lookups: missing key; add it" in message


def test_missing_check_table_names_the_table(tmp_path: Path) -> None:
    """A whole check table that is absent is named as a missing table."""
    with pytest.raises(ConfigError, match=r": checks\.metrics_exposed: missing table; add it"):
        load_config(drop_table(tmp_path, "checks.metrics_exposed"))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("enabled = true", 'enabled = "yes"', "expected true or false, got a string 'yes'"),
        ("window_seconds = 300", "window_seconds = 300.5", "expected a whole number"),
        ("max_ratio = 0.005", "max_ratio = true", "expected a number, got a boolean"),
        ("extra_jobs = []", 'extra_jobs = "serving"', "expected an array of strings"),
        ("p95_max_seconds = { fast", "p95_max_seconds = 2.5 #", "expected a table"),
        ('gpus = "required"', "gpus = 1", "expected a string"),
    ],
    ids=["bool", "int", "float", "array", "table", "string"],
)
def test_wrong_type_names_expected_and_found(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """A value of the wrong TOML type says what was expected and what was found."""
    assert expected in error_of(tmp_path, old, new)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("max_ratio = 0.005", "max_ratio = 5", "5 is above 1; use a value at least 0 and at most"),
        ("window_seconds = 300", "window_seconds = 0", "0 is not above 0"),
        ("min_points = 30", "min_points = 2", "2 is below 3"),
        ("max_loss = 2.0", "max_loss = -1.0", "-1 is not above 0"),
        ("min_slope_per_hour = 0.0", "min_slope_per_hour = nan", "is not a finite number"),
    ],
    ids=["ratio-over-1", "zero-window", "too-few-points", "negative-loss", "nan"],
)
def test_out_of_bounds_value_is_rejected(tmp_path: Path, old: str, new: str, expected: str) -> None:
    """Numbers outside their bounds are rejected with the allowed range."""
    assert expected in error_of(tmp_path, old, new)


def test_unknown_component_lists_the_known_ones(tmp_path: Path) -> None:
    """[deployment] components accepts serving and worker-rl only."""
    message = error_of(tmp_path, '"worker-rl"]', '"worker_rl"]')
    assert "deployment.components: 'worker_rl' is not allowed; use one of: serving, worker-rl" in (
        message
    )


def test_unknown_gpu_mode_is_rejected(tmp_path: Path) -> None:
    """[deployment] gpus is "required" or "none"."""
    message = error_of(tmp_path, 'gpus = "required"', 'gpus = "optional"')
    assert "deployment.gpus: 'optional' is not allowed; use one of: required, none" in message


def test_bad_label_name_in_selector_is_rejected(tmp_path: Path) -> None:
    """Label names of the selector must be valid Prometheus label names."""
    message = error_of(tmp_path, "label_selector = {}", 'label_selector = { "kube-ns" = "prod" }')
    assert "gate.label_selector.kube-ns: 'kube-ns' is not a label name like namespace" in message


def test_bad_metric_name_is_rejected(tmp_path: Path) -> None:
    """A metric name with characters Prometheus does not allow is rejected."""
    message = error_of(tmp_path, 'rl_loss = "rl_loss"', 'rl_loss = "rl-loss"')
    assert "metrics.rl_loss: 'rl-loss' is not a metric name like http_requests_total" in message


def test_latency_table_needs_every_mode(tmp_path: Path) -> None:
    """p95_max_seconds without a mode names the missing mode."""
    message = error_of(tmp_path, ", creative = 4.5 }", " }")
    assert "checks.p95_latency.p95_max_seconds.creative: missing key" in message


def test_latency_table_rejects_unknown_mode(tmp_path: Path) -> None:
    """p95_max_seconds with an unknown mode names it and the allowed modes."""
    message = error_of(tmp_path, "creative = 4.5 }", "creative = 4.5, turbo = 1.0 }")
    expected = "p95_max_seconds.turbo: unknown key; allowed keys here are: fast, balanced, creative"
    assert expected in message


def test_empty_list_is_rejected(tmp_path: Path) -> None:
    """A list a check iterates over must not be empty."""
    message = error_of(tmp_path, 'loss_types = ["total_loss"]', "loss_types = []")
    assert "checks.rl_loss_ceiling.loss_types: is empty; list at least one value" in message


def test_blank_job_name_is_rejected(tmp_path: Path) -> None:
    """A blank job label value of the targets check is an error naming the key."""
    message = error_of(tmp_path, "extra_jobs = []", 'extra_jobs = [" "]')
    assert "checks.scrape_targets_up.extra_jobs: ' ' is not a job label value" in message


def test_old_jobs_list_names_the_new_keys(tmp_path: Path) -> None:
    """A config from before the per-part targets check names the keys that replace ``jobs``."""
    message = error_of(tmp_path, "extra_jobs = []", 'jobs = ["serving"]')
    assert "checks.scrape_targets_up.jobs: unknown key" in message
    assert "extra_jobs, gpu_exporter_job, serving_job, worker_rl_job" in message


@pytest.mark.parametrize(
    ("exporter", "job"),
    [
        ("pytest-gate", "gpu-exporter"),
        ("dcgm", "dcgm-exporter"),
        ("nvidia-smi", "nvidia-smi-exporter"),
        ("custom", "gpu-exporter"),
    ],
)
def test_auto_gpu_exporter_job_is_the_presets(tmp_path: Path, exporter: str, job: str) -> None:
    """``gpu_exporter_job = "auto"`` is the job the chosen preset is usually scraped as."""
    path = write_variant(tmp_path, 'gpu_exporter = "pytest-gate"', f'gpu_exporter = "{exporter}"')
    assert load_config(path).gpu_exporter_job == job


def test_gpu_exporter_job_can_be_named(tmp_path: Path) -> None:
    """A named GPU exporter job replaces the preset's."""
    path = write_variant(tmp_path, 'gpu_exporter_job = "auto"', 'gpu_exporter_job = "nvidia-dcgm"')
    assert load_config(path).gpu_exporter_job == "nvidia-dcgm"


def test_warning_line_below_nogo_line_is_rejected(tmp_path: Path) -> None:
    """The VRAM warning line (25%) may not sit below the NO-GO line (20%)."""
    message = error_of(tmp_path, "min_free_ratio = 0.25", "min_free_ratio = 0.10")
    assert "checks.vram_headroom_margin.min_free_ratio: is below" in message


def test_inner_window_longer_than_sustained_window_is_rejected(tmp_path: Path) -> None:
    """The short p95 windows must fit inside the sustained window."""
    message = error_of(tmp_path, "inner_window_seconds = 60", "inner_window_seconds = 600")
    assert "checks.creative_p95_sustained.inner_window_seconds: is longer" in message


def test_unknown_placeholder_in_resource_query_is_rejected(tmp_path: Path) -> None:
    """Resource queries may use ${selector} only."""
    message = error_of(tmp_path, '{${selector}resource="cpu"}', '{${namespace}resource="cpu"}')
    assert "checks.cpu_usage.query: bad placeholder" in message


def test_invalid_error_status_regex_is_rejected(tmp_path: Path) -> None:
    """The 5xx status regex must compile."""
    message = error_of(tmp_path, 'error_status_regex = "5.."', 'error_status_regex = "5(."')
    assert "checks.api_5xx_rate.error_status_regex: not a valid regex" in message


def test_invalid_toml_names_the_file_and_the_fix(tmp_path: Path) -> None:
    """A syntax error names the file and says to fix the syntax."""
    message = error_of(tmp_path, "[checks.cpu_usage]", "[checks.cpu_usage")
    assert message.startswith(f"{tmp_path / 'gate.toml'}: not valid TOML (")
    assert message.endswith("; fix the syntax at that spot")


def test_missing_file_says_how_to_fix_it(tmp_path: Path) -> None:
    """A config path that does not exist says to create it or pass --gate-config."""
    with pytest.raises(ConfigError, match=r"file not found; .*--gate-config PATH"):
        load_config(tmp_path / "absent.toml")


def test_enabled_check_is_applicable(default: GateConfig) -> None:
    """An enabled check of a deployed component has no not_applicable reason."""
    assert default.check_enablement("rl_loss_ceiling") is None


def test_disabled_check_reason_names_the_file_and_key(tmp_path: Path) -> None:
    """enabled = false gives a reason naming the file and the table."""
    path = drop_table(tmp_path, "checks.cpu_usage")
    path.write_text(
        path.read_text() + "\n[checks.cpu_usage]\nenabled = false\nmax_limit_ratio = 0.85\n"
        "query = 'up'\n"
    )
    assert load_config(path).check_enablement("cpu_usage") == (
        "disabled in gate.toml [checks.cpu_usage] enabled = false"
    )


def test_without_serving_the_smoke_checks_are_not_applicable(tmp_path: Path) -> None:
    """An empty component list makes the serving checks not applicable."""
    config = load_variant(tmp_path, 'components = ["serving", "worker-rl"]', "components = []")
    assert config.check_enablement("serving_health") == (
        "component serving is not deployed ([deployment] components)"
    )


def test_check_of_absent_component_is_not_applicable(tmp_path: Path) -> None:
    """Without worker-rl in [deployment], the RL checks are not applicable."""
    config = load_variant(
        tmp_path, 'components = ["serving", "worker-rl"]', 'components = ["serving"]'
    )
    assert config.check_enablement("rl_reward_trend") == (
        "component worker-rl is not deployed ([deployment] components)"
    )


def test_gpu_check_without_gpus_is_not_applicable(tmp_path: Path) -> None:
    """With gpus = "none" the VRAM checks are not applicable."""
    config = load_variant(tmp_path, 'gpus = "required"', 'gpus = "none"')
    assert config.check_enablement("vram_headroom") == (
        'no GPUs in this deployment ([deployment] gpus = "none")'
    )


def test_custom_table_is_free_form_and_honours_enabled(tmp_path: Path) -> None:
    """[custom.<check>] holds a team's own thresholds; enabled = false disables that check."""
    config = load_variant(
        tmp_path, "[smoke]", "[custom.queue_depth]\nenabled = false\nmax_jobs = 50\n\n[smoke]"
    )
    assert config.custom["queue_depth"]["max_jobs"] == 50
    assert config.check_enablement("queue_depth") == (
        "disabled in gate.toml [custom.queue_depth] enabled = false"
    )


def test_check_without_any_table_is_applicable(default: GateConfig) -> None:
    """A custom check with no config table always runs."""
    assert default.check_enablement("my_business_check") is None


def test_shipped_headroom_lines_are_the_gpu_module_defaults() -> None:
    """gate.toml ships the VRAM lines that gate-vram and serving admission use by default."""
    shipped = load_config(Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml")
    assert shipped.checks.vram_headroom.min_free_ratio == MIN_HEADROOM_RATIO
    assert shipped.checks.vram_headroom_margin.min_free_ratio == WARN_HEADROOM_RATIO
