-- depends: golden_macros, person_values
-- test: unique(golden_id, field)
SELECT * FROM field_winners('person_values', 'person')
