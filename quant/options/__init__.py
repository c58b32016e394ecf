"""European option pricing for tail hedges.

- `black_scholes`, `option_price`: Black-Scholes-Merton prices and greeks, vectorised;
- `implied_volatility`: the volatility that reprices a premium;
- `ImpliedVolModel`: implied volatility from realised volatility, a variance risk premium and a
  skew by moneyness, for when no option quotes exist.

Units: maturities in years, rates and dividend yields continuously compounded per year,
volatilities annualised; see `quant.options.black_scholes` for the greeks' units.
"""

from quant.options.black_scholes import OptionValues, black_scholes, option_price
from quant.options.implied_volatility import implied_volatility
from quant.options.vol_model import ImpliedVolModel

__all__ = [
    "ImpliedVolModel",
    "OptionValues",
    "black_scholes",
    "implied_volatility",
    "option_price",
]
