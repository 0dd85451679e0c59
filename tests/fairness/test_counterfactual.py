"""Counterfactual swaps and flip rates on constructed texts and a keyword 'model' with known answers."""

from __future__ import annotations

import numpy as np

from rai_ft.fairness.counterfactual import DEFAULT_SWAPS, counterfactual_flips, swap_text

GENDER = {"gender": DEFAULT_SWAPS["gender"]}


def test_two_group_swap_exchanges_every_term_with_its_counterpart() -> None:
    terms = DEFAULT_SWAPS["gender"][1]
    assert swap_text("His wife said he was late.", terms, None) == ("Her husband said she was late.",
                                                                    ["his→her", "wife→husband", "he→she"])
    assert swap_text("The plot was fine.", terms, None) == ("The plot was fine.", [])


def test_multi_group_swap_rewrites_into_each_group() -> None:
    terms = DEFAULT_SWAPS["race"][1]
    assert swap_text("A white family", terms, 1)[0] == "A black family"
    assert swap_text("A White family", terms, 2)[0] == "A Asian family"
    assert swap_text("A white family", terms, 0) == ("A white family", [])


def he_is_positive(texts: list[str]) -> np.ndarray:
    p = np.array([0.8 if "he" in t.lower().split() else 0.3 for t in texts])
    return np.stack([1 - p, p], axis=1)


def ignores_identity(texts: list[str]) -> np.ndarray:
    p = np.array([0.8 if "good" in t else 0.3 for t in texts])
    return np.stack([1 - p, p], axis=1)


def test_flip_rate_and_score_change_have_known_values() -> None:
    texts = ["he is good", "she is good", "the plot is good", "she was bad"]
    res = counterfactual_flips(texts, he_is_positive, GENDER, positive=1)
    assert res["n_counterfactuals"] == 3 and res["n_texts"] == 3  # the plot text has no identity term
    assert res["flip_rate"] == 1.0
    assert np.isclose(res["mean_abs_score_change"], 0.5)
    pairs = {r["pair"]: r for r in res["pairs"]}
    assert pairs["he→she"]["mean_score_change"] == -0.5 and pairs["she→he"]["mean_score_change"] == 0.5
    assert pairs["she→he"]["n"] == 2
    fair = counterfactual_flips(texts, ignores_identity, GENDER, positive=1)
    assert fair["flip_rate"] == 0.0 and fair["mean_abs_score_change"] == 0.0 and fair["examples"] == []


def test_no_identity_terms_means_no_measurement() -> None:
    res = counterfactual_flips(["the plot is good"], he_is_positive, GENDER, positive=1)
    assert res["n_counterfactuals"] == 0 and res["flip_rate"] is None


def test_policy_terms_with_capitals_match_and_the_texts_case_is_kept() -> None:
    terms = [("White", "Black"), ("Emily", "Lakisha")]
    assert swap_text("a black family and a White one", terms, None) == ("a white family and a Black one",
                                                                        ["black→white", "white→black"])
    assert swap_text("EMILY called emily", terms, None)[0] == "LAKISHA called lakisha"
    assert swap_text("Emily called", terms, None)[0] == "Lakisha called"
    res = counterfactual_flips(["Emily is good", "nothing here"], he_is_positive, {"names": (("w", "b"), terms)}, 1)
    assert res["n_counterfactuals"] == 1  # it matched nothing before: capitals in the policy never met w.lower()


def test_her_becomes_his_before_a_noun_and_him_otherwise() -> None:
    terms = DEFAULT_SWAPS["gender"][1]
    assert swap_text("She lost her keys.", terms, None)[0] == "He lost his keys."
    assert swap_text("I saw her.", terms, None)[0] == "I saw him."
    assert swap_text("We gave her the prize", terms, None)[0] == "We gave him the prize"
    assert swap_text("Her film moved her to tears", terms, None)[0] == "His film moved him to tears"
    assert swap_text("his book", terms, None)[0] == "her book" and swap_text("tell him", terms, None)[0] == "tell her"


def test_builtin_name_lists_catch_a_model_that_reads_perceived_race_from_names() -> None:
    from rai_ft.checks.counterfactual import CounterfactualConfig, builtin_swaps
    from rai_ft.fairness.names import NAMES

    swaps = builtin_swaps(CounterfactualConfig(builtin=["names"]).builtin)
    assert set(swaps) == {"names_race", "names_gender"}
    white = {n.lower() for k, names in NAMES.items() if k[0] == "white" for n in names}

    def favours_white_names(texts: list[str]) -> np.ndarray:
        p = np.array([0.8 if white & set(t.lower().split()) else 0.3 for t in texts])
        return np.stack([1 - p, p], axis=1)

    texts = ["Emily applied for the job", "Jamal applied for the job", "Todd has experience", "the job is open"]
    biased = counterfactual_flips(texts, favours_white_names, {"names_race": swaps["names_race"]}, positive=1)
    assert biased["n_counterfactuals"] == 3 and biased["flip_rate"] == 1.0
    assert {p["pair"] for p in biased["pairs"]} == {"emily→lakisha", "jamal→greg", "todd→tyrone"}
    clean = counterfactual_flips(texts, ignores_identity, {"names_race": swaps["names_race"]}, positive=1)
    assert clean["flip_rate"] == 0.0
    by_gender = counterfactual_flips(texts, favours_white_names, {"names_gender": swaps["names_gender"]}, positive=1)
    assert by_gender["flip_rate"] == 0.0  # gender swaps keep perceived race: this model does not care
    assert len({n for names in NAMES.values() for n in names}) == 36


def test_paired_statistics_separate_a_systematic_shift_from_none() -> None:
    texts = [f"he liked scene {i}" for i in range(20)]
    biased = counterfactual_flips(texts, he_is_positive, GENDER, positive=1)
    assert biased["sign_test_p_value"] < 1e-5 and biased["mean_score_change"] == -0.5
    lo, hi = biased["flip_rate_ci"]
    assert lo > 0.8 and hi == 1.0
    fair = counterfactual_flips(texts, ignores_identity, GENDER, positive=1)
    assert fair["sign_test_p_value"] == 1.0 and fair["flip_rate_ci"][0] == 0.0 and fair["flip_rate_ci"][1] < 0.2
