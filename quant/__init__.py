"""Stratigos numeric core: market data, estimators, risk measures, optimizers, the allocation
engine, market scenarios and hyperparameter search.

Pure numerics: imports nothing else of Stratigos but the domain-free `lazy_exports` helper, and
does no I/O beyond loading market data.
Conventions: daily simple returns; annualisation with 252 periods; volatility is the annualised
standard deviation (ddof=1); VaR, CVaR and drawdown are positive numbers meaning losses.

Names are imported on first use, so `import quant` stays fast for callers that need a few.
Naming: functions spell out what they compute (`value_at_risk`, `conditional_value_at_risk`,
`hierarchical_risk_parity`); the short forms are keys that appear in requests and results
(metric names such as `var_95` and `cvar_95`, sleeve and method names such as `hrp`). Every error
is a `QuantError` from `quant.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy_exports import exported_names, lazy_exports
from quant.optimizers import OPTIMIZERS

_EXPORTS: dict[str, tuple[str, ...]] = {
    "quant.data": (
        "load_prices",
        "load_sp500_index",
        "load_sp500_prices",
        "sp500_index_returns",
        "sp500_prices",
        "sp500_returns",
        "to_returns",
    ),
    "quant.estimators": (
        "PERIODS_PER_YEAR",
        "correlation",
        "covariance",
        "ewma_covariance",
        "ledoit_wolf_covariance",
        "mean_returns",
        "sample_covariance",
    ),
    "quant.risk": (
        "RiskReport",
        "cagr",
        "calmar_ratio",
        "conditional_value_at_risk",
        "downside_deviation",
        "drawdown_duration",
        "drawdowns",
        "excess_kurtosis",
        "max_drawdown",
        "risk_contributions",
        "risk_report",
        "rolling_cagr",
        "rolling_sharpe",
        "rolling_volatility",
        "sharpe_ratio",
        "skewness",
        "sortino_ratio",
        "total_return",
        "value_at_risk",
        "volatility",
    ),
    **OPTIMIZERS,
    "quant.strategy": ("StrategyConfig", "register_weight_function"),
    "quant.engine": ("EvaluationResult", "evaluate"),
    "quant.metrics": ("METRICS",),
    "quant.performance": ("PortfolioPerformance", "portfolio_performance"),
    "quant.scenarios": ("ScenarioSet", "generate_scenarios"),
    "quant.regimes": ("identify_regimes",),
    "quant.tuning.space": ("Choices", "FixedValue", "FloatRange", "IntRange", "SearchSpace"),
    "quant.tuning.objective": ("LOSS_METRICS", "Constraint", "Objective"),
    "quant.tuning.inputs": ("ScenarioData", "as_scenarios"),
    "quant.tuning.evaluation": ("evaluate_path_means",),
    "quant.tuning.driver": ("SearchRun", "search"),
    "quant.tuning.result": ("SearchResult",),
    "quant.tuning.walk_forward": ("WalkForwardResult", "walk_forward"),
    "quant.targets": ("TargetWeights", "target_weights"),
    "quant.sensitivity": ("Sensitivity", "one_at_a_time", "parameter_importance"),
    "quant.overfitting": ("deflated_sharpe_ratio", "paired_interval"),
    "quant.synthetic": ("factor_model_returns",),
    "quant.errors": (
        "ConstraintError",
        "CovarianceError",
        "DataError",
        "InfeasibleTargetError",
        "InsufficientDataError",
        "NoFeasibleTrialError",
        "QuantError",
        "SearchSpaceError",
        "SolverError",
    ),
}
__all__ = exported_names(_EXPORTS)

__getattr__, __dir__ = lazy_exports("quant", _EXPORTS, globals())


if TYPE_CHECKING:
    from quant.data import (
        load_prices,
        load_sp500_index,
        load_sp500_prices,
        sp500_index_returns,
        sp500_prices,
        sp500_returns,
        to_returns,
    )
    from quant.engine import EvaluationResult, evaluate
    from quant.errors import (
        ConstraintError,
        CovarianceError,
        DataError,
        InfeasibleTargetError,
        InsufficientDataError,
        NoFeasibleTrialError,
        QuantError,
        SearchSpaceError,
        SolverError,
    )
    from quant.estimators import (
        PERIODS_PER_YEAR,
        correlation,
        covariance,
        ewma_covariance,
        ledoit_wolf_covariance,
        mean_returns,
        sample_covariance,
    )
    from quant.metrics import METRICS
    from quant.optimizers.hrp import hierarchical_risk_parity
    from quant.optimizers.mean_variance import (
        efficient_frontier,
        efficient_return,
        efficient_risk,
        max_sharpe,
        min_volatility,
    )
    from quant.optimizers.naive_parity import inverse_volatility
    from quant.optimizers.risk_budgeting import risk_parity
    from quant.overfitting import deflated_sharpe_ratio, paired_interval
    from quant.performance import PortfolioPerformance, portfolio_performance
    from quant.regimes import identify_regimes
    from quant.risk import (
        RiskReport,
        cagr,
        calmar_ratio,
        conditional_value_at_risk,
        downside_deviation,
        drawdown_duration,
        drawdowns,
        excess_kurtosis,
        max_drawdown,
        risk_contributions,
        risk_report,
        rolling_cagr,
        rolling_sharpe,
        rolling_volatility,
        sharpe_ratio,
        skewness,
        sortino_ratio,
        total_return,
        value_at_risk,
        volatility,
    )
    from quant.scenarios import ScenarioSet, generate_scenarios
    from quant.sensitivity import Sensitivity, one_at_a_time, parameter_importance
    from quant.strategy import StrategyConfig, register_weight_function
    from quant.synthetic import factor_model_returns
    from quant.targets import TargetWeights, target_weights
    from quant.tuning.driver import SearchRun, search
    from quant.tuning.evaluation import evaluate_path_means
    from quant.tuning.inputs import ScenarioData, as_scenarios
    from quant.tuning.objective import LOSS_METRICS, Constraint, Objective
    from quant.tuning.result import SearchResult
    from quant.tuning.space import Choices, FixedValue, FloatRange, IntRange, SearchSpace
    from quant.tuning.walk_forward import WalkForwardResult, walk_forward
