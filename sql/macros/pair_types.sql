-- kind: macros
-- The types of the scored pairs (person_pairs, match_pairs, review_queue),
-- defined once, before any model uses them. An ENUM is stored as a one-byte
-- index and written to Parquet as dictionary indices without hashing each
-- string (the seven small-vocabulary text columns of match_pairs took 4.4 s
-- to write as VARCHAR at a million people, 0.36 s as ENUMs); readers get
-- VARCHAR back, so the published types do not change. The values are
-- crmhub's own vocabulary (DESIGN.md fixes the systems and objects; the
-- models name the decisions, rules and levels): a value missing here stops
-- the run with "Could not convert string 'VALUE'" rather than be published
-- wrong. The cast happens where a value is made (a typed literal, or once
-- per record, mask or pattern), never once per pair.

CREATE OR REPLACE TYPE match_entity AS ENUM ('person', 'company', 'deal');
CREATE OR REPLACE TYPE crm_system AS ENUM ('hubspot', 'salesforce');
CREATE OR REPLACE TYPE crm_object AS ENUM ('contacts', 'companies', 'deals', 'Contact', 'Lead', 'Account', 'Opportunity');
CREATE OR REPLACE TYPE pair_decision AS ENUM ('match', 'review', 'non-match');
CREATE OR REPLACE TYPE pair_decided_by AS ENUM ('score', 'cross_id', 'conflicting_cross_id', 'two_names_at_site');
-- every entity's blocking rules (person_rule_names(), company_candidates,
-- deal_candidates)
CREATE OR REPLACE TYPE blocking_rule AS ENUM (
  'birthdate', 'birthdate_first', 'company', 'company_name', 'cross_id', 'domain', 'email', 'first_name_city',
  'first_word_city', 'full_name', 'house_street', 'last_name_city', 'last_name_first_initial', 'mailbox', 'name',
  'name_close_date', 'phone', 'postal_code', 'rare_word', 'street', 'street_city', 'swapped_name');

-- A type another type names cannot be replaced: the two struct types go
-- first, so these statements run again on the same database (crmhub
-- models --db); tables and views keep the columns they were made with.
DROP TYPE IF EXISTS pair_explanation;
DROP TYPE IF EXISTS pair_field;
-- A compared field's level (the person levels are person_level_names()).
CREATE OR REPLACE TYPE pair_level AS ENUM (
  'null', 'exact', 'fuzzy_high', 'fuzzy', 'fuzzy_low', 'initial', 'typo', 'close', 'near', 'same',
  'same_mailbox', 'last_digits', 'same_site', 'other_number', 'contained', 'shared_word', 'different');
-- One field's entry in an explanation.
CREATE OR REPLACE TYPE pair_field AS STRUCT(level pair_level, weight DOUBLE);
-- The published explanation: one entry per field any entity compares, in
-- name order; a pair's entity fills its own fields (persons ten, companies
-- six, deals four) and leaves the others NULL. Keyed by field rather than a
-- list of {field, level, weight}: Parquet writes two flat columns per field
-- instead of repeating every field name in every row.
CREATE OR REPLACE TYPE pair_explanation AS STRUCT(
  amount pair_field,
  birthdate pair_field,
  city pair_field,
  close_date pair_field,
  company pair_field,
  company_name pair_field,
  domain pair_field,
  email pair_field,
  first_name pair_field,
  last_name pair_field,
  name pair_field,
  phone pair_field,
  postal_code pair_field,
  state pair_field,
  street pair_field);
