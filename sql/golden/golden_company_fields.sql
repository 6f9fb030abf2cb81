-- depends: golden_macros, company_values
-- test: unique(golden_id, field)
SELECT * FROM field_winners('company_values', 'company')
