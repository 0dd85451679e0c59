"""First names as an identity signal: the published name table of Bertrand & Mullainathan (2004).

Source: Marianne Bertrand and Sendhil Mullainathan, "Are Emily and Greg More Employable than Lakisha and Jamal? A
Field Experiment on Labor Market Discrimination", American Economic Review 94(4):991-1013, 2004, Appendix Table A1:
the first names used on résumés, chosen as the most distinctively White- or African-American-perceived names in
Massachusetts birth certificates 1974-1979 and checked by a survey of perceptions. Nine names per perceived race and
gender. The table is small and public; it is kept here with this citation, not copied from any package.

Pairing across groups is by position only (name *i* of one list with name *i* of the other); names carry no meaning
beyond the perceived identity the paper measured. The paper's perceptions are of one U.S. place and time.
"""

from __future__ import annotations

__all__ = ["NAMES", "NAME_SWAPS", "NAMES_CITATION"]

NAMES_CITATION = ("Bertrand & Mullainathan 2004, Are Emily and Greg More Employable than Lakisha and Jamal?, "
                  "American Economic Review 94(4), Appendix Table A1")

# (perceived race, gender) -> names: the paper's title names first (so Emily pairs with Lakisha and Greg with
# Jamal), then alphabetical
NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("white", "female"): ("Emily", "Allison", "Anne", "Carrie", "Jill", "Kristen", "Laurie", "Meredith", "Sarah"),
    ("black", "female"): ("Lakisha", "Aisha", "Ebony", "Keisha", "Kenya", "Latonya", "Latoya", "Tamika", "Tanisha"),
    ("white", "male"): ("Greg", "Brad", "Brendan", "Brett", "Geoffrey", "Jay", "Matthew", "Neil", "Todd"),
    ("black", "male"): ("Jamal", "Darnell", "Hakim", "Jermaine", "Kareem", "Leroy", "Rasheed", "Tremayne", "Tyrone"),
}


def _aligned(a: tuple[str, str], b: tuple[str, str]) -> list[tuple[str, ...]]:
    return [(x, y) for x, y in zip(NAMES[a], NAMES[b])]


# attribute -> (group names, aligned term tuples): race swaps keep gender, gender swaps keep perceived race
NAME_SWAPS: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
    "names_race": (("white", "black"), _aligned(("white", "female"), ("black", "female"))
                   + _aligned(("white", "male"), ("black", "male"))),
    "names_gender": (("female", "male"), _aligned(("white", "female"), ("white", "male"))
                     + _aligned(("black", "female"), ("black", "male"))),
}
