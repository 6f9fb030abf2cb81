-- depends: golden_macros, deal_values
-- test: unique(golden_id, field)
SELECT * FROM field_winners('deal_values', 'deal')
