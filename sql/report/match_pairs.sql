-- kind: script
-- depends: pair_types, person_pairs, company_pairs, deal_pairs
-- test: sql(SELECT k FROM (SELECT unnest(struct_keys(explanation)) AS k FROM (SELECT explanation FROM person_pairs_wide LIMIT 1) UNION ALL SELECT unnest(struct_keys(explanation)) FROM (SELECT explanation FROM company_pairs LIMIT 1) UNION ALL SELECT unnest(struct_keys(explanation)) FROM (SELECT explanation FROM deal_pairs LIMIT 1)) WHERE NOT list_contains(struct_keys({'amount': NULL}::pair_explanation), k))
-- Published: every scored candidate pair with its decision and the level and
-- weight of each compared field. Persons are read from person_pairs_wide, the
-- view person_pairs makes to give its pairs this shape (record columns, rule
-- names, explanation) only here.
-- A view, not a table: the pairs are published, and only their review
-- pairs and match count are read in the run (review_queue, the counts), so
-- the export builds each row once, straight into the Parquet file. As a
-- table they were materialised first (25.6 M rows with 10-field
-- explanations at a million people, spilled to disk), then read again to
-- be exported, then scanned whole for review_queue's few review pairs.
-- Its columns are not tested here: testing the view builds every row
-- again (1.1 s of 2 M pairs at 100k; counting and testing the 25 M at a
-- million took 3 to 4 s on the machine of docs/bench-cycle-1m.md); the
-- decisions are tested not null where they are made (person_pairs,
-- company_pairs, deal_pairs), the entity is a constant per branch, persons'
-- record ids are the staged records' columns through inner joins, the
-- others' split from the stg_* keys, and stg_* test those not null. The sql test above checks that no entity
-- explains a field pair_explanation lacks (the cast would drop it).

-- The columns are pair_types' ENUMs (written as dictionary indices;
-- readers get strings back): persons arrive typed from person_pairs_wide,
-- companies and deals (a tenth of the pairs) are cast here.

-- explanation_list(e): an explanation as the list of {field, level,
-- weight} of its entity's fields, in name order: the review queue's shape
-- (a few review pairs; its fingerprints hash this text, the same as before
-- the explanation became a struct)
CREATE OR REPLACE MACRO explanation_list(e) AS list_filter([
  {'field': 'amount', 'level': e.amount.level::VARCHAR, 'weight': e.amount.weight},
  {'field': 'birthdate', 'level': e.birthdate.level::VARCHAR, 'weight': e.birthdate.weight},
  {'field': 'city', 'level': e.city.level::VARCHAR, 'weight': e.city.weight},
  {'field': 'close_date', 'level': e.close_date.level::VARCHAR, 'weight': e.close_date.weight},
  {'field': 'company', 'level': e.company.level::VARCHAR, 'weight': e.company.weight},
  {'field': 'company_name', 'level': e.company_name.level::VARCHAR, 'weight': e.company_name.weight},
  {'field': 'domain', 'level': e.domain.level::VARCHAR, 'weight': e.domain.weight},
  {'field': 'email', 'level': e.email.level::VARCHAR, 'weight': e.email.weight},
  {'field': 'first_name', 'level': e.first_name.level::VARCHAR, 'weight': e.first_name.weight},
  {'field': 'last_name', 'level': e.last_name.level::VARCHAR, 'weight': e.last_name.weight},
  {'field': 'name', 'level': e.name.level::VARCHAR, 'weight': e.name.weight},
  {'field': 'phone', 'level': e.phone.level::VARCHAR, 'weight': e.phone.weight},
  {'field': 'postal_code', 'level': e.postal_code.level::VARCHAR, 'weight': e.postal_code.weight},
  {'field': 'state', 'level': e.state.level::VARCHAR, 'weight': e.state.weight},
  {'field': 'street', 'level': e.street.level::VARCHAR, 'weight': e.street.weight}], lambda x: x.level IS NOT NULL);

-- companies and deals carry record keys (system:object:record_id, split
-- here: a tenth of the pairs at a million people), their text columns cast
-- to pair_types' ENUMs; persons their typed columns
CREATE OR REPLACE MACRO split_keys(pairs, ent) AS TABLE
  SELECT ent::match_entity AS entity,
         split_part(left_key, ':', 1)::crm_system AS left_system, split_part(left_key, ':', 2)::crm_object AS left_object,
         left_key[length(split_part(left_key, ':', 1)) + length(split_part(left_key, ':', 2)) + 3:] AS left_record_id,
         split_part(right_key, ':', 1)::crm_system AS right_system, split_part(right_key, ':', 2)::crm_object AS right_object,
         right_key[length(split_part(right_key, ':', 1)) + length(split_part(right_key, ':', 2)) + 3:] AS right_record_id,
         rules::blocking_rule[] AS rules, score, probability, decision::pair_decision AS decision,
         decided_by::pair_decided_by AS decided_by, explanation::pair_explanation AS explanation
  FROM query_table(pairs);

CREATE OR REPLACE VIEW match_pairs AS
WITH pairs AS (
  SELECT 'person'::match_entity AS entity, * FROM person_pairs_wide
  UNION ALL BY NAME SELECT * FROM split_keys('company_pairs', 'company')
  UNION ALL BY NAME SELECT * FROM split_keys('deal_pairs', 'deal')
)
SELECT entity, left_system, left_object, left_record_id, right_system, right_object, right_record_id,
       score, probability, decision, decided_by, rules AS blocking_rules, explanation
FROM pairs;
