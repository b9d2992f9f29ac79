"""What a model call cost, from a pricing table kept as data (models/pricing.json, or MNEMO_PRICING_FILE).

Local and fake models cost nothing and need no entry. A hosted model without an entry costs an unknown
amount: `cost_usd` returns None and the caller says so (a log line and a metric), never a silent zero.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langchain_core.messages.ai import UsageMetadata

BUNDLED_TABLE = Path(__file__).with_name("pricing.json")
FREE_PROVIDERS = frozenset({"local", "fake"})
PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class Rates:
    input: float
    output: float
    cached_input: float | None = None  # None: cached input tokens cost the normal input rate


@dataclass(frozen=True)
class Price:
    rates: Rates
    long_context: Rates | None = None
    long_context_above: int | None = None

    def rates_for(self, input_tokens: int) -> Rates:
        if self.long_context and self.long_context_above is not None and input_tokens > self.long_context_above:
            return self.long_context
        return self.rates


class PricingTableError(ValueError):
    """The pricing file can't be read or has an entry without input/output rates."""


def _rates(entry: dict, where: str) -> Rates:
    try:
        return Rates(float(entry["input"]), float(entry["output"]),
                     float(entry["cached_input"]) if "cached_input" in entry else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise PricingTableError(f"{where}: each price needs numeric 'input' and 'output' (per million tokens)") from exc


@lru_cache(maxsize=4)
def load_table(path: Path = BUNDLED_TABLE) -> dict[str, Price]:
    """`provider:model` -> Price, read once per file."""
    try:
        models = json.loads(path.read_text())["models"]
    except (OSError, ValueError, KeyError) as exc:
        raise PricingTableError(f"Can't read the pricing table {path}: {exc}") from exc
    table = {}
    for name, entry in models.items():
        long = entry.get("long_context")
        table[name] = Price(
            rates=_rates(entry, f"{path}: {name}"),
            long_context=_rates(long, f"{path}: {name}.long_context") if long else None,
            long_context_above=int(long["above"]) if long else None,
        )
    return table


def current_table() -> dict[str, Price]:
    """The table in MNEMO_PRICING_FILE when set, else the bundled one."""
    override = os.environ.get("MNEMO_PRICING_FILE")
    return load_table(Path(override).expanduser()) if override else load_table()


def price_for(provider: str, model: str, table: dict[str, Price] | None = None) -> Price | None:
    """The entry for `provider:model`: exact, else the longest entry that is a '-' prefix of it."""
    table = current_table() if table is None else table
    key = f"{provider}:{model.removeprefix('models/')}"
    if key in table:
        return table[key]
    prefixes = [name for name in table if key.startswith(name + "-")]
    return table[max(prefixes, key=len)] if prefixes else None


def cost_usd(provider: str, model: str, usage: UsageMetadata, table: dict[str, Price] | None = None) -> float | None:
    """Dollars for one call, or None when a hosted model has no price in the table."""
    if provider in FREE_PROVIDERS:
        return 0.0
    price = price_for(provider, model, table)
    if price is None:
        return None
    input_tokens, output_tokens = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
    rates = price.rates_for(input_tokens)
    cached = min((usage.get("input_token_details") or {}).get("cache_read", 0) or 0, input_tokens)
    cached_rate = rates.cached_input if rates.cached_input is not None else rates.input
    dollars = (input_tokens - cached) * rates.input + cached * cached_rate + output_tokens * rates.output
    return round(dollars / PER_TOKENS, 10)
