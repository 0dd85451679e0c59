"""Recipes: offline ones resolve, download-dependent ones are refused in one line before any work."""

from __future__ import annotations

import pytest

from rai_ft.validation import load_policy
from rai_ft.errors import SpecError, UnsupportedError
from rai_ft.robustness.recipes import DOWNLOAD_RECIPES, RECIPES, get_recipe
from tests.conftest import write_yaml


def test_offline_recipes_resolve_and_describe_themselves() -> None:
    for name, recipe in RECIPES.items():
        assert get_recipe(name) is recipe
        d = recipe.describe()
        assert d["transformations"] and d["goal"].startswith("untargeted")
        assert name in recipe.one_line()
    assert "max edit distance 30" in RECIPES["deepwordbug"].one_line()


@pytest.mark.parametrize("name", ["textfooler", "pwws", "bae"])
def test_download_recipes_are_refused_offline(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TA_CACHE_DIR", str(tmp_path))
    with pytest.raises(UnsupportedError) as err:
        get_recipe(name)
    msg = str(err.value)
    assert "\n" not in msg and DOWNLOAD_RECIPES[name][1] in msg and "deepwordbug" in msg


def test_unknown_recipe_lists_the_choices() -> None:
    with pytest.raises(UnsupportedError, match="unknown attack recipe 'nope'"):
        get_recipe("nope")


def test_policy_with_an_offline_impossible_recipe_is_a_spec_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TA_CACHE_DIR", str(tmp_path))
    path = write_yaml(tmp_path / "p.yaml", {"name": "x", "checks": {"robustness": {"recipe": "textfooler"}}})
    with pytest.raises(SpecError) as err:
        load_policy(path)
    assert str(path) in str(err.value) and "robustness.recipe" in str(err.value)


def test_overrides_apply_and_unknown_transformations_are_refused() -> None:
    r = RECIPES["deepwordbug"].with_overrides(max_edit_distance=5, transformations=["qwerty"], max_words_perturbed=None)
    assert r.max_edit_distance == 5 and r.transformations == ("qwerty",) and r.max_words_perturbed is None
    with pytest.raises(UnsupportedError, match="unknown transformation"):
        RECIPES["deepwordbug"].with_overrides(transformations=["wordnet"])
