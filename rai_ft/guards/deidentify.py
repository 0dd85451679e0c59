"""Guard ``deidentify``: mask personal data (PII) in every split's text before anything is encoded.

Text classification: each PII span becomes its placeholder. Token classification: each *token* overlapping a PII
span becomes the placeholder (so the tags stay aligned; the sentence text is rebuilt from the tokens).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rai_ft.data.loading import TEXT
from rai_ft.errors import SpecError
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.privacy.pii import DETECTORS, redact, redact_tokens
from rai_ft.results import Finding
from rai_ft.tasks.token_classification.data import TOKENS

__all__ = ["DeidentifyConfig", "DeidentifyGuard"]


class DeidentifyConfig(GuardConfig):
    """Which PII types to mask (default: every detector in rai_ft.privacy.pii)."""

    types: list[str] | None = Field(None, description="Subset of: email, iban, credit_card, us_ssn, ip_address, phone.")


class DeidentifyGuard(Guard[DeidentifyConfig]):
    """Replace PII by typed placeholders ([EMAIL], [PHONE] …) in train, validation and test text."""

    name = "deidentify"
    config_model = DeidentifyConfig

    def __init__(self, config: DeidentifyConfig) -> None:
        super().__init__(config)
        self.counts: dict[str, dict[str, int]] = {}

    def preflight(self, ctx: Any) -> None:
        """Mask the text of every split in place (before the loop encodes it)."""
        known = {d.name for d in DETECTORS}
        wanted = set(self.config.types or known)
        if wanted - known:
            raise SpecError(f"unknown PII type(s) {sorted(wanted - known)}; known: {sorted(known)}",
                            field="guards.deidentify.types")
        for split in ("train", "validation", "test"):
            frame = getattr(ctx.data, split)
            column = TOKENS if TOKENS in frame.columns else TEXT
            totals: dict[str, int] = {}
            values = []
            for value in frame[column]:
                masked, counts = redact_tokens(value, wanted) if column == TOKENS else redact(value, wanted)
                values.append(masked)
                for k, v in counts.items():
                    totals[k] = totals.get(k, 0) + v
            frame[column] = values
            if column == TOKENS:
                frame[TEXT] = [" ".join(t) for t in values]
            self.counts[split] = totals

    def summary(self) -> dict[str, Any]:
        """Masked spans per split and type."""
        return {"masked": self.counts}

    def findings(self) -> list[Finding]:
        """How much was masked."""
        total = sum(sum(c.values()) for c in self.counts.values())
        return [Finding("info", f"deidentify: masked {total} PII span(s) before training", source=self.name,
                        details=self.counts)]
