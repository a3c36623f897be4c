"""``gate-init [DIR] [--profile NAME]``: write a gate (checks, conftest, gate.toml) into a project.

Profiles are gate directories shipped with the package: ``default`` is the repository's
``gate_checks/`` (carried in the wheel as ``pytest_gate/profiles/default``), any other name is
``pytest_gate/profiles/<name>/``. Nothing is ever overwritten: if DIR holds any file the profile
would write, ``gate-init`` writes nothing and says which.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_gate.config.gatedir import CONFIG_FILENAME, DEFAULT_GATE_DIRNAME

DEFAULT_PROFILE = "default"
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
REPOSITORY_GATE = Path(__file__).resolve().parent.parent / DEFAULT_GATE_DIRNAME
"""The default gate in a clone of the repository (where the wheel's copy comes from)."""
SKIPPED_NAMES = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

UNKNOWN_PROFILE = "gate-init: no profile {name!r}; pick one of: {choices}"
WOULD_OVERWRITE = (
    "gate-init: {directory} already holds {names}; nothing was written. Pick another directory "
    "(gate-init DIR) or move those files away"
)
NOT_A_DIRECTORY = "gate-init: {directory} exists and is not a directory; pick another DIR"
WROTE = "Wrote the {profile} gate to {directory}: {count} files ({listing})."
NEXT = (
    "Next: edit {config} (thresholds, metric names, [deployment]), then run\n"
    "  pytest {directory} --prometheus-url http://prometheus:9090 --gate-report gate-report.json"
)


def profile_dir(name: str) -> Path | None:
    """The directory of profile ``name``, or ``None`` when no such profile is installed."""
    candidates = [PROFILES_DIR / name]
    if name == DEFAULT_PROFILE:
        candidates.append(REPOSITORY_GATE)
    return next((c for c in candidates if (c / CONFIG_FILENAME).is_file()), None)


def profiles() -> list[str]:
    """Every installed profile name, ``default`` first."""
    found = set()
    if PROFILES_DIR.is_dir():
        found = {d.name for d in PROFILES_DIR.iterdir() if (d / CONFIG_FILENAME).is_file()}
    if profile_dir(DEFAULT_PROFILE) is not None:
        found.add(DEFAULT_PROFILE)
    return sorted(found, key=lambda name: (name != DEFAULT_PROFILE, name))


def files_of(source: Path) -> list[Path]:
    """The profile's files, relative to its directory (no caches or bytecode)."""
    return sorted(
        path.relative_to(source)
        for path in source.rglob("*")
        if path.is_file()
        and not any(part in SKIPPED_NAMES for part in path.relative_to(source).parts)
        and path.suffix not in SKIPPED_SUFFIXES
    )


def write_gate(source: Path, target: Path) -> list[Path]:
    """Copy every file of ``source`` into ``target``; raises :class:`FileExistsError` naming
    the files that already exist (then nothing is written)."""
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(NOT_A_DIRECTORY.format(directory=target))
    files = files_of(source)
    clashes = [str(f) for f in files if (target / f).exists()]
    if clashes:
        raise FileExistsError(", ".join(clashes))
    for relative in files:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target / relative)
    return files


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gate-init",
        description="Write a deployment gate (checks, conftest.py, gate.toml) into a project. "
        "Never overwrites a file.",
    )
    parser.add_argument(
        "directory",
        nargs="?",
        default=DEFAULT_GATE_DIRNAME,
        metavar="DIR",
        help=f"where to write the gate (default: ./{DEFAULT_GATE_DIRNAME})",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        metavar="NAME",
        help=f"which gate to write: {', '.join(profiles())} (default: {DEFAULT_PROFILE})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gate-init``; returns the exit status (0 written, 1 refused, 2 usage)."""
    args = _parser().parse_args(argv)
    source = profile_dir(args.profile)
    if source is None:
        choices = ", ".join(profiles()) or "(none installed)"
        print(UNKNOWN_PROFILE.format(name=args.profile, choices=choices), file=sys.stderr)
        return EXIT_USAGE
    target = Path(args.directory)
    try:
        written = write_gate(source, target)
    except NotADirectoryError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except FileExistsError as exc:
        print(WOULD_OVERWRITE.format(directory=target, names=exc), file=sys.stderr)
        return EXIT_REFUSED
    listing = ", ".join(str(f) for f in written)
    print(WROTE.format(profile=args.profile, directory=target, count=len(written), listing=listing))
    print(NEXT.format(config=target / CONFIG_FILENAME, directory=target))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
