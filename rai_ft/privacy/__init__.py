"""Privacy helpers shared by the dp/deidentify guards and the privacy check: PII, MIA, ledger."""

from rai_ft.privacy.ledger import LEDGER_FILE, append_entry, cumulative, read_ledger
from rai_ft.privacy.mia import attack_metrics, attack_scores, true_label_logprob
from rai_ft.privacy.pii import DETECTORS, find_pii, mask_value, redact, scan_texts

__all__ = ["LEDGER_FILE", "append_entry", "cumulative", "read_ledger", "attack_metrics", "attack_scores",
           "true_label_logprob", "DETECTORS", "find_pii", "mask_value", "redact", "scan_texts"]
