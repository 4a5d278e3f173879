"""Real tables with mixed categorical and numeric columns, read offline from installed
wheels, for DiffLM's synthesis.

* ISLP 0.6.0 (``pip install --no-deps islp==0.6.0``; BSD): ``wage`` (3,000 rows),
  ``credit`` (400), ``carseats`` (400), ``default`` (10,000), ``bikeshare`` (8,645);
* scikit-lego 0.9.10 (``pip install --no-deps scikit-lego==0.9.10``; MIT): ``abalone``
  (4,177), ``penguins`` (344).

Both wheels are installed without their dependencies (the Makefile does it): only their
data files are read, never their modules. Any CSV file works too (``load_table(path)``).
Each named table has the column its benchmark predicts (``TABLES[name].target``);
columns that only repeat another (ISLP Wage's ``logwage``) or number the rows are dropped.

Example:
    >>> df = load_table("wage")
    >>> df.shape, TABLES["wage"].target
    ((3000, 10), 'health_ins')
    >>> train, test = split_table(df, test=0.2, seed=0)
    >>> len(train), len(test)
    (2400, 600)
"""

from __future__ import annotations

import importlib.metadata as md
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steergraph.data.difflm.code import CODE_TABLE, code_table
from steergraph.errors import InputError, InputFileError

__all__ = ["TABLES", "TableSource", "load_table", "split_table"]


@dataclass(frozen=True)
class TableSource:
    """Where a named table lives: ``member`` of distribution ``package`` (``version``)."""

    package: str
    version: str
    member: str
    target: str
    drop: tuple[str, ...] = ()


_ISLP = ("islp", "0.6.0")
_LEGO = ("scikit-lego", "0.9.10")
TABLES: dict[str, TableSource] = {
    "wage": TableSource(*_ISLP, "ISLP/data/Wage.csv", "health_ins", ("logwage",)),
    "credit": TableSource(*_ISLP, "ISLP/data/Credit.csv", "Student", ("ID",)),
    "carseats": TableSource(*_ISLP, "ISLP/data/Carseats.csv", "Urban"),
    "default": TableSource(*_ISLP, "ISLP/data/Default.csv", "default"),
    "bikeshare": TableSource(*_ISLP, "ISLP/data/Bikeshare.csv", "workingday", ("Unnamed: 0",)),
    "abalone": TableSource(*_LEGO, "sklego/data/abalone.zip", "sex"),
    "penguins": TableSource(*_LEGO, "sklego/data/penguins.zip", "species"),
}


def _read(data: bytes, name: str) -> Any:
    import pandas as pd

    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = archive.read(archive.namelist()[0])  # one CSV, whatever its name
    return pd.read_csv(io.BytesIO(data))


def load_table(name: str | Path) -> Any:
    """A named table (:data:`TABLES`, or :data:`~.code.CODE_TABLE`: HumanEval's functions)
    or a CSV file, as a pandas DataFrame."""
    if str(name) == CODE_TABLE:
        return code_table()
    if str(name) in TABLES:
        src = TABLES[str(name)]
        install = f"pip install --no-deps {src.package}=={src.version}"
        try:
            dist = md.distribution(src.package)
        except md.PackageNotFoundError:
            raise InputError(f"table {name!r} needs the {src.package} wheel", fix=install) from None
        if dist.version != src.version:
            raise InputError(
                f"table {name!r} is read from {src.package} {src.version}, found {dist.version}",
                fix=install,
            )
        path = Path(str(dist.locate_file(src.member)))
        if not path.is_file():
            raise InputError(f"{src.package} holds no {src.member}", fix=install)
        df = _read(path.read_bytes(), src.member)
        return df.drop(columns=[c for c in src.drop if c in df.columns])
    path = Path(name)
    if not path.is_file():
        known = ", ".join([*TABLES, CODE_TABLE])
        raise InputFileError(f"no table {str(name)!r}", fix=f"give a CSV file or one of {known}")
    try:
        return _read(path.read_bytes(), path.name)
    except (UnicodeDecodeError, ValueError) as exc:  # pandas' parser errors are ValueErrors
        raise InputFileError(
            f"{path} is not a readable CSV: {str(exc).splitlines()[0]}",
            fix="give a comma-separated UTF-8 file with a header row",
        ) from None


def split_table(df: Any, *, test: float = 0.2, seed: int = 0) -> tuple[Any, Any]:
    """(train, test) row sets of ``df``, shuffled by ``seed``."""
    if not 0 < test < 1:
        raise InputError(f"test={test}", fix="use a share between 0 and 1")
    n_test = round(test * len(df))
    if n_test < 1 or n_test >= len(df):
        raise InputError(
            f"{len(df)} rows cannot fill a test share of {test} and leave training rows",
            fix="give a larger table or another share",
        )
    order = df.sample(frac=1.0, random_state=seed)
    return order.iloc[n_test:].reset_index(drop=True), order.iloc[:n_test].reset_index(drop=True)
