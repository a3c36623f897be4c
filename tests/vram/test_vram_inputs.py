"""Plan inputs: byte sizes, the model registry file and ``--model`` values."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pytest_gate.contract.sizes import parse_bytes
from pytest_gate.vram.registry import RegistryError, load_registry, parse_model_option

GIB = 1024**3


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("17179869184", 16 * GIB),
        ("16GiB", 16 * GIB),
        ("16 gib", 16 * GIB),
        ("16GB", 16 * 1000**3),
        ("4.5GiB", int(4.5 * GIB)),
        ("512MiB", 512 * 1024**2),
    ],
)
def test_sizes_accept_bytes_and_binary_or_decimal_units(text: str, size: int) -> None:
    """Plain bytes, GiB (1024^3) and GB (1000^3) are all understood."""
    assert parse_bytes(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("16G", "ambiguous"),
        ("lots", "not a size"),
        ("0", "not a positive size"),
        ("-3GiB", "not a size"),
    ],
)
def test_bad_sizes_name_the_fix(text: str, message: str) -> None:
    """An ambiguous or malformed size says what to write instead."""
    with pytest.raises(ValueError, match=message):
        parse_bytes(text)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text)
    return path


def test_registry_reads_expected_vram_per_model(tmp_path: Path) -> None:
    """[models.<name>].expected_vram_bytes (int or size string); other keys are ignored."""
    path = write(
        tmp_path,
        '[models.qwen_32b]\ncheckpoint = "Qwen/Qwen2.5-32B"\nexpected_vram_bytes = 17179869184\n'
        '[models.mistral_7b]\nexpected_vram_bytes = "4GiB"\n',
    )
    assert load_registry(path) == {"qwen_32b": 16 * GIB, "mistral_7b": 4 * GIB}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[models.a]\nquantization = 'awq'\n", "lacks expected_vram_bytes"),
        ("[models.a]\nexpected_vram_bytes = 0\n", "positive number of bytes"),
        ("[models.a]\nexpected_vram_bytes = true\n", "got True"),
        ("[models.a]\nexpected_vram_bytes = '16G'\n", "ambiguous"),
        ("[other]\nx = 1\n", r"no \[models.<name>\] tables"),
        ("[models.a\n", "not valid TOML"),
    ],
    ids=["missing-key", "zero", "bool", "ambiguous-unit", "no-models", "bad-toml"],
)
def test_registry_problems_name_the_key_and_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    """A bad registry is an error naming the file/key, never a guessed size."""
    with pytest.raises(RegistryError, match=message):
        load_registry(write(tmp_path, text))


def test_missing_registry_file_names_the_option(tmp_path: Path) -> None:
    """A registry path that does not exist points back at --registry."""
    with pytest.raises(RegistryError, match="--registry"):
        load_registry(tmp_path / "absent.toml")


def test_model_option_parses_name_and_size() -> None:
    """--model qwen_32b=16GiB."""
    assert parse_model_option("qwen_32b=16GiB") == ("qwen_32b", 16 * GIB)


def test_model_option_without_equals_is_rejected() -> None:
    """--model qwen_32b (no size) shows the NAME=BYTES form."""
    with pytest.raises(RegistryError, match="NAME=BYTES"):
        parse_model_option("qwen_32b")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'[models.qwen]\nmode = "caf\xe9"\n', "is not UTF-8 text (invalid continuation byte"),
        (b"x = " + b"[" * 1200 + b"]" * 1200 + b"\n", "nests tables or arrays too deep"),
    ],
    ids=["latin-1", "nested-1200"],
)
def test_a_registry_that_cannot_be_parsed_is_a_message_not_a_traceback(
    tmp_path: Path, content: bytes, words: str
) -> None:
    """``gate-vram --plan`` with a non-UTF-8 registry used to end in a UnicodeDecodeError."""
    path = tmp_path / "models.toml"
    path.write_bytes(content)
    with pytest.raises(RegistryError, match=re.escape(words)):
        load_registry(path)


def test_a_fifo_registry_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    """Never wait for a writer that never comes."""
    fifo = tmp_path / "models.toml"
    os.mkfifo(fifo)
    with pytest.raises(RegistryError, match=r"is a FIFO \(named pipe\), not a regular file"):
        load_registry(fifo)


def test_plan_with_a_non_utf8_registry_exits_64_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the command: usage error 64 and the message, no traceback."""
    from pytest_gate.vram.cli import main

    path = tmp_path / "models.toml"
    path.write_bytes(b"# caf\xe9\n")
    assert main(["--plan", "--registry", str(path)]) == 64
    assert "is not UTF-8 text" in capsys.readouterr().err
