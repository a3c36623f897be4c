"""``python -m serving --registry PATH --host 127.0.0.1 --port 8001``: run the serving app."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from serving.config import Settings, SettingsError
from serving.models import RegistryError, load_registry

DEFAULT_REGISTRY = Path(__file__).with_name("models.toml")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (the rest comes from ``SERVING_*`` environment variables)."""
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    parser.add_argument(
        "--registry",
        type=Path,
        default=None,
        help="model registry TOML (default: $SERVING_REGISTRY, else the bundled models.toml)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8001, help="TCP port (default 8001)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Load settings and registry, then serve until SIGINT/SIGTERM; 0 after a clean shutdown."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        overrides = {"registry_path": args.registry} if args.registry else {}
        settings = Settings.from_env(os.environ, **overrides)
        registry = load_registry(settings.registry_path or DEFAULT_REGISTRY)
    except (SettingsError, RegistryError) as error:
        sys.stderr.write(f"serving: {error}\n")
        return 2
    from serving.app import create_app
    from serving.loader import TransformersLoader
    from serving.server import serve

    if settings.torch_threads is not None:
        import torch

        torch.set_num_threads(settings.torch_threads)
    app = create_app(settings, registry, TransformersLoader(settings.max_prompt_tokens))
    return serve(app, settings, args.host, args.port, args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
