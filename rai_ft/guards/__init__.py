"""Guard registry. Adding a guard = one module + one line in ``GUARDS``."""

from __future__ import annotations

from rai_ft.guards.adversarial import AdversarialGuard
from rai_ft.guards.augment import AugmentGuard
from rai_ft.guards.base import Guard, GuardConfig
from rai_ft.guards.deidentify import DeidentifyGuard
from rai_ft.guards.dp import DPGuard
from rai_ft.guards.fairness_mitigation import FairnessMitigationGuard

__all__ = ["Guard", "GuardConfig", "GUARDS", "build_guards"]

# name -> Guard class. Registered explicitly, one line each.
GUARDS: dict[str, type[Guard]] = {
    DPGuard.name: DPGuard,
    DeidentifyGuard.name: DeidentifyGuard,
    AdversarialGuard.name: AdversarialGuard,
    AugmentGuard.name: AugmentGuard,
    FairnessMitigationGuard.name: FairnessMitigationGuard,
}


def build_guards(guard_configs: dict[str, dict]) -> list[Guard]:
    """Instantiate the guards a policy asks for, in policy order."""
    return [GUARDS[name](GUARDS[name].config_model.model_validate(cfg or {})) for name, cfg in guard_configs.items()]
