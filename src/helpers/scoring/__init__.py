"""Layer 4, scoring: the statistical scorecard and its artifact, the master scale, the expert scorecard,
validation statistics, model development and the customer's credit section."""
from .credit import credit_section, final_credit
from .development import develop_scorecard, validation_pack
from .expert import ExpertScorecard
from .master_scale import MasterScale
from .scorecard import Scorecard, fit_scorecard, load_scorecard

__all__ = ["credit_section", "final_credit", "develop_scorecard", "validation_pack", "ExpertScorecard", "MasterScale",
           "Scorecard", "fit_scorecard", "load_scorecard"]
