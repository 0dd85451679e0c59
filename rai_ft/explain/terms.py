"""Identity-term word lists for the sensitive-token reliance check (the project's own, lower-case).

Policies can replace or extend them: ``checks: {attribution: {sensitive_terms: {gender: [...]}}}``.
"""

from __future__ import annotations

__all__ = ["DEFAULT_TERMS"]

DEFAULT_TERMS: dict[str, list[str]] = {
    "gender": [
        "he", "she", "him", "her", "his", "hers", "himself", "herself", "man", "woman", "men", "women", "male",
        "female", "boy", "girl", "boys", "girls", "husband", "wife", "father", "mother", "son", "daughter",
        "brother", "sister", "mr", "mrs", "ms", "gentleman", "lady", "king", "queen", "uncle", "aunt",
    ],
    "race": [
        "black", "white", "asian", "hispanic", "latino", "latina", "latinx", "african", "caucasian", "arab",
        "indian", "native", "eskimo", "pacific", "islander", "chinese", "mexican", "negro",
    ],
    "religion": [
        "christian", "muslim", "jewish", "jew", "hindu", "buddhist", "sikh", "atheist", "catholic", "protestant",
        "islam", "islamic", "christianity", "judaism",
    ],
    "sexual_orientation": ["gay", "lesbian", "bisexual", "queer", "straight", "homosexual", "heterosexual",
                           "transgender"],
}
