"""European option pricing for tail hedges.

- `black_scholes`, `option_price`: Black-Scholes-Merton prices and greeks, vectorised;
- `implied_volatility`: the volatility that reprices a premium;
- `ImpliedVolModel`: implied volatility from realised volatility, a variance risk premium and a
  skew by moneyness, for when no option quotes exist.

Units: maturities in years, rates and dividend yields continuously compounded per year,
volatilities annualised; see `quant.options.pricing` for the greeks' units.

Names are imported on first use (as in `quant`): `ImpliedVolModel` loads no compiled kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy_exports import exported_names, lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "quant.options.pricing": ("OptionValues", "black_scholes", "option_price"),
    "quant.options.implied_vol": ("implied_volatility",),
    "quant.options.vol_model": ("ImpliedVolModel",),
}

__all__ = exported_names(_EXPORTS)

__getattr__, __dir__ = lazy_exports("quant.options", _EXPORTS, globals())

if TYPE_CHECKING:
    from quant.options.implied_vol import implied_volatility
    from quant.options.pricing import OptionValues, black_scholes, option_price
    from quant.options.vol_model import ImpliedVolModel
