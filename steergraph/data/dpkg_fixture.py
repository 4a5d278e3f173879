"""Build the committed ``dpkg_packages.csv`` fixture from a Debian dpkg status database.

Source: ``/var/lib/dpkg/status`` of a Debian 12 machine (the packages installed on it).
The fixture holds one row per package -- name, section, priority, architecture,
installed size (KiB), number of dependencies -- and its one-line description, so
tests and benchmarks have a real table without depending on the machine they run on.
Regenerate with ``python -m steergraph.data.dpkg_fixture``.

Example:
    >>> rows = parse_status("Package: a\\nSection: admin\\nInstalled-Size: 5\\nDepends: b, c\\n")
    >>> rows[0]["package"], rows[0]["installed_kb"], rows[0]["n_depends"]
    ('a', 5, 2)
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from steergraph.tools.samples import DPKG_COLUMNS, DPKG_FIXTURE

__all__ = ["FIXTURE", "parse_status", "write_fixture"]

FIXTURE = DPKG_FIXTURE
COLUMNS = list(DPKG_COLUMNS)


def parse_status(text: str) -> list[dict[str, Any]]:
    """Parse dpkg status stanzas into rows (continuation lines are skipped)."""
    rows: list[dict[str, Any]] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
        if "Package" not in fields:
            continue
        depends = [d for d in fields.get("Depends", "").split(",") if d.strip()]
        rows.append(
            {
                "package": fields["Package"],
                "section": fields.get("Section", "unknown"),
                "priority": fields.get("Priority", "optional"),
                "architecture": fields.get("Architecture", "all"),
                "installed_kb": int(fields.get("Installed-Size", "0") or 0),
                "n_depends": len(depends),
                "description": fields.get("Description", "").replace(",", ";"),
            }
        )
    return rows


def write_fixture(status: str | Path = "/var/lib/dpkg/status", out: Path = FIXTURE) -> Path:
    """Write the CSV fixture from a dpkg status file."""
    rows = parse_status(Path(status).read_text(encoding="utf-8", errors="replace"))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, "description"])
        writer.writeheader()
        writer.writerows(rows)
    return out


if __name__ == "__main__":
    print(write_fixture())
