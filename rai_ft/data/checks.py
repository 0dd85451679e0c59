"""Checks of the data itself before it is split: enough rows for the splits, a plausible label column, real text.

Each problem is a one-line :class:`~rai_ft.errors.SpecError` naming the data file (or source) and the spec field.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from rai_ft.errors import MSG_EMPTY_TEXT, MSG_TOO_FEW_ROWS, MSG_TOO_MANY_LABELS, SpecError

__all__ = ["MAX_LABELS", "split_sizes", "rows_needed", "check_split_sizes", "check_label_cardinality",
           "check_sample_caps", "check_texts"]

MAX_LABELS = 100  # more distinct labels than this is an id or free-text column picked by mistake


def split_sizes(n: int, validation: float, test: float) -> tuple[int, int, int]:
    """(train, validation, test) rows scikit-learn's two successive splits give *n* rows."""
    n_test = math.ceil(test * n)
    rest = n - n_test
    n_val = math.ceil(validation / (1 - test) * rest)
    return rest - n_val, n_val, n_test


def rows_needed(need: int, validation: float, test: float) -> int:
    """The fewest rows for which every split gets at least *need* rows."""
    n = 3 * need
    while min(split_sizes(n, validation, test)) < need:
        n += 1
    return n


def check_split_sizes(frame: pd.DataFrame, n_labels: int, validation: float, test: float, where: str,
                      field: str = "data.split") -> None:
    """Every split of *frame* must be able to hold one row per label (what a stratified split requires)."""
    n = len(frame)
    if min(split_sizes(n, validation, test)) < n_labels:
        raise SpecError(MSG_TOO_FEW_ROWS.format(n=n, validation=validation, test=test, need=n_labels,
                                                total=rows_needed(n_labels, validation, test)),
                        file=where, field=field)


def check_label_cardinality(labels: pd.Series, column: str, where: str) -> None:
    """Refuse a label column that looks like an id: more than MAX_LABELS values, or fewer than 2 rows per label."""
    count, rows = labels.nunique(), len(labels)
    if count > MAX_LABELS or (count > 10 and 2 * count > rows):
        raise SpecError(MSG_TOO_MANY_LABELS.format(column=column, count=count, rows=rows, limit=MAX_LABELS),
                        file=where, field="data.label")


def check_sample_caps(sample: Any, n_labels: int) -> None:
    """A ``data.sample`` cap below the number of labels cannot keep one row per label (a stratified subset)."""
    for name in ("train", "validation", "test"):
        cap = getattr(sample, name)
        if cap is not None and cap < n_labels:
            raise SpecError(f"{cap} row(s) cannot hold one row per label; the data has {n_labels} labels",
                            field=f"data.sample.{name}")


def check_texts(df: pd.DataFrame, columns: list[str], where: str) -> None:
    """A text column that is empty (or blank) in every row gives the model nothing to learn from."""
    for col in columns:
        values = df[col].fillna("").astype(str).str.strip()
        if not (values != "").any():
            raise SpecError(MSG_EMPTY_TEXT.format(column=col), file=where, field="data.text")
