"""The results file: sections of tables, commands and notes, rendered as Markdown (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """One Markdown table."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def markdown(self) -> str:
        """The table as GitHub Markdown."""
        lines = ["| " + " | ".join(self.headers) + " |"]
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One target of the issue and whether this run met it."""

    text: str
    measured: str
    met: bool


@dataclass
class Section:
    """The results of one benchmark."""

    name: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self) -> str:
        """The section as Markdown."""
        parts = [f"## {self.title}", ""]
        if self.intro:
            parts += [self.intro, ""]
        for table in self.tables:
            parts += [table.markdown(), ""]
        if self.targets:
            parts += ["Targets:", ""]
            parts += [
                f"- {'met' if t.met else '**missed**'}: {t.text} (measured {t.measured})"
                for t in self.targets
            ]
            parts.append("")
        if self.notes:
            parts += [f"- {note}" for note in self.notes]
            parts.append("")
        if self.commands:
            parts += ["Commands (one run each):", "", "```"]
            parts += self.commands
            parts += ["```", ""]
        return "\n".join(parts)


def seconds(value: float) -> str:
    """``0.8512 -> "0.851 s"``."""
    return f"{value:.3f} s"


def millis(value: float) -> str:
    """Seconds shown as milliseconds: ``0.01234 -> "12.3 ms"``."""
    return f"{value * 1000:.1f} ms"


def ratio(value: float) -> str:
    """``1.234 -> "1.23x"``."""
    return f"{value:.2f}x"


def mib(value_bytes: float) -> str:
    """Bytes as MiB with one decimal."""
    return f"{value_bytes / 2**20:.1f} MiB"


def summary(sections: Sequence[Section]) -> str:
    """Every target of every section in one table."""
    rows = tuple(
        (
            "met" if t.met else "**missed**",
            t.text,
            t.measured,
            section.title.split(" ")[0].rstrip("."),
        )
        for section in sections
        for t in section.targets
    )
    if not rows:
        return ""
    table = Table(
        (
            "",
            "target (issue 9; 16 for section 8; 17 for section 7; 22 for section 10)",
            "measured",
            "section",
        ),
        rows,
    )
    return "## Targets at a glance\n\n" + table.markdown() + "\n"


def document(header: str, sections: Sequence[Section], preface: str = "") -> str:
    """The whole results file: header, the targets table, a preface, then each section."""
    body = "\n".join(section.markdown() for section in sections)
    return f"{header}\n\n{summary(sections)}\n{preface}\n{body}".rstrip() + "\n"
