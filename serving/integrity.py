"""Weight-file integrity: the SHA-256 pins of a registry entry, checked before a load."""

from __future__ import annotations

import hashlib
from pathlib import Path

from serving.models import ModelSpec


class LoadError(RuntimeError):
    """A model could not be loaded; the message says why and what to do."""


class IntegrityError(LoadError):
    """A pinned weight file is missing or its SHA-256 differs from the registry's pin."""


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_file(spec: ModelSpec, filename: str) -> Path:
    """Return the local path of ``filename`` of ``spec``'s checkpoint (hub cache or folder)."""
    if spec.is_local:
        path = Path(spec.checkpoint) / filename
        if not path.is_file():
            raise IntegrityError(
                f"{spec.name}: pinned file {filename} is missing from {spec.checkpoint}; "
                "restore the checkpoint or remove the pin from the registry"
            )
        return path
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(spec.checkpoint, filename, revision=spec.revision))
    except Exception as exc:  # the hub client raises many types; all mean "not available"
        raise IntegrityError(
            f"{spec.name}: cannot fetch pinned file {filename} of {spec.checkpoint} "
            f"({type(exc).__name__}: {exc}); download the weights or fix the pin"
        ) from exc


def verify_checkpoint(spec: ModelSpec) -> None:
    """Check every SHA-256 pin of ``spec``; raise :class:`IntegrityError` on the first mismatch."""
    for filename, expected in sorted(spec.sha256.items()):
        actual = sha256_file(resolve_file(spec, filename))
        if actual != expected:
            raise IntegrityError(
                f"{spec.name}: {filename} has sha256 {actual}, but the registry pins {expected}; "
                "the weights changed or are corrupt: re-download them, or update the pin after "
                "reviewing the new weights"
            )
