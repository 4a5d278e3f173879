"""Training: TRL trainers, subclasses and recipes; one module per method.

* :mod:`.recipes` -- TRL's SFT, DPO and GRPO trainers with CPU-safe defaults (shared);
* :mod:`.reward_model` -- TRL's ``RewardTrainer`` on preference pairs (shared);
* :mod:`.verify` -- verified candidates as SFT rows, DPO pairs and a GRPO reward;
* :mod:`.structrag` -- the StructRAG router trained with DPO on judged routes;
* :mod:`.sso_config` + :mod:`.sso_trainer` -- ``SSOConfig``/``SSOTrainer`` (TRL's
  ``DPOTrainer`` with the SSO loss), with the recipes of :mod:`.sso`;
* :mod:`.delta` -- the post-trained model of the delta-editing pair (TRL SFT);
* :mod:`.mole` + :mod:`.mole_verifier` -- MOLE's multi-facet evaluator, and as a verifier;
* :mod:`.launch` -- a recipe as a script, for ``accelerate launch`` (several processes).

The exports load lazily: ``import steergraph.training`` loads neither torch nor TRL.

Example:
    >>> import steergraph.training as training
    >>> "SSOTrainer" in training.__all__ and "train_dpo" in dir(training)
    True
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.training.delta import QUICK_RECIPE, PostTrainRecipe, post_trained
    from steergraph.training.mole import MoleConfig, MoleEvaluator, train_mole
    from steergraph.training.mole_verifier import MoleVerifier
    from steergraph.training.recipes import (
        TrainResult,
        cpu_safe_args,
        policy_from,
        train_dpo,
        train_grpo,
        train_sft,
    )
    from steergraph.training.reward_model import RewardModelScorer, train_reward_model
    from steergraph.training.sso import preference_rows, sso_rows, train_sso, train_sso_reward_model
    from steergraph.training.sso_config import SSOConfig
    from steergraph.training.sso_trainer import SSOTrainer, sso_dataset
    from steergraph.training.structrag import router_accuracy, router_preferences, train_router
    from steergraph.training.verify import (
        feedback_stats,
        preference_dataset,
        reward_function,
        sft_dataset,
        verify_candidates,
    )

_EXPORTS = {
    "MoleConfig": "steergraph.training.mole",
    "MoleEvaluator": "steergraph.training.mole",
    "MoleVerifier": "steergraph.training.mole_verifier",
    "train_mole": "steergraph.training.mole",
    "TrainResult": "steergraph.training.recipes",
    "cpu_safe_args": "steergraph.training.recipes",
    "policy_from": "steergraph.training.recipes",
    "train_dpo": "steergraph.training.recipes",
    "train_grpo": "steergraph.training.recipes",
    "train_sft": "steergraph.training.recipes",
    "RewardModelScorer": "steergraph.training.reward_model",
    "train_reward_model": "steergraph.training.reward_model",
    "feedback_stats": "steergraph.training.verify",
    "preference_dataset": "steergraph.training.verify",
    "reward_function": "steergraph.training.verify",
    "sft_dataset": "steergraph.training.verify",
    "verify_candidates": "steergraph.training.verify",
    "router_accuracy": "steergraph.training.structrag",
    "router_preferences": "steergraph.training.structrag",
    "train_router": "steergraph.training.structrag",
    "SSOConfig": "steergraph.training.sso_config",
    "SSOTrainer": "steergraph.training.sso_trainer",
    "sso_dataset": "steergraph.training.sso_trainer",
    "preference_rows": "steergraph.training.sso",
    "sso_rows": "steergraph.training.sso",
    "train_sso": "steergraph.training.sso",
    "train_sso_reward_model": "steergraph.training.sso",
    "PostTrainRecipe": "steergraph.training.delta",
    "QUICK_RECIPE": "steergraph.training.delta",
    "post_trained": "steergraph.training.delta",
}
__all__ = [
    "QUICK_RECIPE",
    "MoleConfig",
    "MoleEvaluator",
    "MoleVerifier",
    "PostTrainRecipe",
    "RewardModelScorer",
    "SSOConfig",
    "SSOTrainer",
    "TrainResult",
    "cpu_safe_args",
    "feedback_stats",
    "policy_from",
    "post_trained",
    "preference_dataset",
    "preference_rows",
    "reward_function",
    "router_accuracy",
    "router_preferences",
    "sft_dataset",
    "sso_dataset",
    "sso_rows",
    "train_dpo",
    "train_grpo",
    "train_mole",
    "train_reward_model",
    "train_router",
    "train_sft",
    "train_sso",
    "train_sso_reward_model",
    "verify_candidates",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
