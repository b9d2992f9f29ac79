-- Cost of one call, in dollars: NULL when a hosted model has no price in the pricing table (unknown,
-- not free). Ten decimals: a short call to a cheap model costs millionths of a dollar.
-- Which provider answered, and where its token counts came from (provider | tokenizer | estimate).
ALTER TABLE usage ALTER COLUMN cost_usd TYPE numeric(16, 10), ALTER COLUMN cost_usd DROP NOT NULL;
ALTER TABLE usage ADD COLUMN provider text, ADD COLUMN usage_source text
    CHECK (usage_source IN ('provider', 'tokenizer', 'estimate'));
