-- kind: script
-- depends: stg_persons, prev_stg_persons, prev_person_pairs
-- test: unique(left_rid, right_rid)
-- test: not_null(left_rid, right_rid, rule_mask)
-- Blocking: record pairs that share at least one blocking key. Each rule's
-- pairs are unioned without duplicates; the rules that found a pair are kept
-- as a bitmask (rule_mask, bit i = rule i of person_rule_names(), in
-- alphabetical order; person_pairs turns it back into names).
-- Sorted neighbourhood within each key: the records sharing a key are sorted
-- by a second field of the rule and each meets its next block_window
-- neighbours, so a key shared by a few records compares every pair and a
-- common one ("john smith" among a million people) costs block_window pairs
-- per record, not thousands. The sort puts likely duplicates side by side
-- (same name and town, then postal code; same birth date, then surname).
-- Keys shared by more than max_block_size records (placeholders) are dropped,
-- and so are keys of one record (most emails, phones and streets) before the
-- sort, by a hash count.
-- Pairs are on rid (stg_persons), left_rid < right_rid, grouped on one
-- BIGINT (left_rid << 32 | right_rid).
-- Incremental: a block (rule, key) none of whose records changed, appeared
-- or went since the last run yields the last run's pairs, so only the other
-- blocks are sorted again and the rest of the last run's pairs (the match
-- state, prev_person_pairs with their rule_mask) are carried. A carried pair
-- keeps its last comparison too (pattern and cross-id flags, NULL where
-- person_pairs must compare the pair): its two records are the same.

-- person_sort_value(rule, ...): the value a record's keys of a rule sort
-- by within their block. One definition for both paths: person_block_keys
-- and the keys of the blocks an incremental run sorts again (person_resorted),
-- which build it for those keys alone.
CREATE OR REPLACE TEMP MACRO person_sort_value(rule, last_n, first_key, postal_n, city_n) AS
  CASE rule
    WHEN 5 THEN coalesce(postal_n, '') || ' ' || coalesce(city_n, '')
    WHEN 12 THEN coalesce(postal_n, '') || ' ' || coalesce(city_n, '')
    WHEN 0 THEN last_n || ' ' || coalesce(first_key, '')
    WHEN 10 THEN last_n || ' ' || coalesce(first_key, '')
    WHEN 6 THEN first_key
    WHEN 7 THEN coalesce(postal_n, city_n)
    ELSE last_n
  END;

-- person_block_keys(recs): the blocking keys of the live records of a table
-- shaped like stg_persons, as (rid, rule, hk, s): hk is the key's 64-bit
-- hash (a collision would only add candidates), s the sort value. A key of
-- several values hashes them as a tuple rather than joined into a string:
-- no string is built for 25 M keys at a million people (a third of the
-- keys' time), and values holding spaces cannot run together.
CREATE OR REPLACE TEMP MACRO person_block_keys(recs) AS TABLE
WITH p AS (
  SELECT * FROM query_table(recs) WHERE NOT deleted
),
keys AS (
  -- rule numbers: see person_rule_names() in macros.sql
  -- identifiers: blocks are small, every neighbour within block_window
  SELECT rid, 3::UTINYINT AS rule, hash(email_n) AS hk, last_n, first_key, postal_n, city_n FROM p WHERE email_n IS NOT NULL
  UNION ALL SELECT rid, 9, hash(phone_n), last_n, first_key, postal_n, city_n FROM p WHERE phone_n IS NOT NULL
  UNION ALL SELECT rid, 9, hash(mobile_n), last_n, first_key, postal_n, city_n FROM p WHERE mobile_n IS NOT NULL AND mobile_n <> phone_n
  -- the mailbox survives a change of employer or a typo in the domain
  UNION ALL SELECT rid, 8, hash(split_part(email_n, '@', 1)), last_n, first_key, postal_n, city_n FROM p WHERE length(split_part(email_n, '@', 1)) >= 4
  UNION ALL SELECT rid, 11, hash(street_n, coalesce(city_n, '')), last_n, first_key, postal_n, city_n FROM p WHERE street_n IS NOT NULL
  -- both names in either order, nicknames folded
  UNION ALL SELECT rid, 5, hash(least(first_key, last_n), greatest(first_key, last_n)), last_n, first_key, postal_n, city_n
    FROM p WHERE first_key IS NOT NULL AND last_n IS NOT NULL
  UNION ALL SELECT rid, 12, hash(least(first_n, last_n), greatest(first_n, last_n)), last_n, first_key, postal_n, city_n
    FROM p WHERE first_n IS NOT NULL AND last_n IS NOT NULL AND first_n <> first_key
  -- a birth date and one name: the other name may be misspelt or missing
  UNION ALL SELECT rid, 0, hash(birthdate_d), last_n, first_key, postal_n, city_n FROM p WHERE birthdate_d IS NOT NULL
  UNION ALL SELECT rid, 1, hash(birthdate_d, first_key), last_n, first_key, postal_n, city_n FROM p WHERE birthdate_d IS NOT NULL AND first_key IS NOT NULL
  -- where one address line is missing or misspelt: the postal code or the
  -- town with a surname
  UNION ALL SELECT rid, 10, hash(postal_n), last_n, first_key, postal_n, city_n FROM p WHERE postal_n IS NOT NULL
  UNION ALL SELECT rid, 6, hash(last_n, city_n), last_n, first_key, postal_n, city_n FROM p WHERE last_n IS NOT NULL AND city_n IS NOT NULL
  -- one name and the town, for records that lack or misspell the other name
  UNION ALL SELECT rid, 4, hash(first_key, city_n), last_n, first_key, postal_n, city_n FROM p WHERE first_key IS NOT NULL AND city_n IS NOT NULL
  -- a misspelt surname keeps its start; sorted by place
  UNION ALL SELECT rid, 7, hash(left(last_n, 4), left(first_key, 1)), last_n, first_key, postal_n, city_n FROM p WHERE last_n IS NOT NULL AND first_key IS NOT NULL
)
-- the sort values (person_sort_value, by rule: same name and town, then
-- postal code; same birth date, then surname; ...), built only where read
SELECT rid, rule, hk, person_sort_value(rule, last_n, first_key, postal_n, city_n) AS s FROM keys;

-- The stable records: live now and in the last run with the same compared
-- fields (person_fields' columns in person_pairs, which include every field
-- a key or sort value above reads), on this run's rid and the last run's.
-- rid is a row number in record_key order: a record's rid may move between
-- runs but never past another's, so a block of stable records sorts (s, rid)
-- as it did, and a carried pair keeps left_rid < right_rid. A full run has
-- no prev rows: no record is stable and every block is sorted.
CREATE OR REPLACE TEMP TABLE person_stable AS
  SELECT s.rid, p.rid AS prev_rid
  FROM stg_persons s JOIN prev_stg_persons p ON p.record_key = s.record_key
  WHERE NOT s.deleted AND NOT p.deleted
    AND p.cross_id_n IS NOT DISTINCT FROM s.cross_id_n AND p.first_key IS NOT DISTINCT FROM s.first_key
    AND p.first_n IS NOT DISTINCT FROM s.first_n AND p.last_n IS NOT DISTINCT FROM s.last_n
    AND p.birthdate_d IS NOT DISTINCT FROM s.birthdate_d AND p.email_n IS NOT DISTINCT FROM s.email_n
    AND p.email_key IS NOT DISTINCT FROM s.email_key AND p.phone_n IS NOT DISTINCT FROM s.phone_n
    AND p.mobile_n IS NOT DISTINCT FROM s.mobile_n AND p.street_n IS NOT DISTINCT FROM s.street_n
    AND p.city_n IS NOT DISTINCT FROM s.city_n AND p.postal_n IS NOT DISTINCT FROM s.postal_n
    AND p.state_n IS NOT DISTINCT FROM s.state_n AND p.company_n IS NOT DISTINCT FROM s.company_n;

-- the keys' hashes, kept on an incremental run: the members of the dirty
-- blocks are found in them. No sort value: only the keys of the blocks
-- sorted again need one (person_resorted), a fraction of the 25 M keys at
-- a million people.
CREATE OR REPLACE TEMP TABLE person_keys AS
  SELECT rid, rule, hk FROM person_block_keys('stg_persons') WHERE getvariable('incremental');
-- the records that are not stable: this run's live ones that changed or
-- appeared, and the last run's live ones that changed or went (their old
-- keys' blocks lost or moved a record)
CREATE OR REPLACE TEMP TABLE person_unstable AS
  SELECT c.* FROM stg_persons c ANTI JOIN person_stable s USING (rid)
  WHERE NOT c.deleted AND getvariable('incremental');
CREATE OR REPLACE TEMP TABLE person_prev_unstable AS
  SELECT p.* FROM prev_stg_persons p ANTI JOIN person_stable s ON s.prev_rid = p.rid
  WHERE NOT p.deleted;
-- dirty blocks: those holding a record that is not stable, now or in the
-- last run (the rest sort as they did; none on a full run, which sorts
-- every block), from those records' own keys (tens of thousands at a
-- million people, not a pass over every key); per record, the rules in
-- which it sits in a dirty block (dirty_bits): a stable record's pairs of
-- those rules are not carried
CREATE OR REPLACE TEMP TABLE person_dirty_blocks AS
  SELECT DISTINCT rule, hk FROM (
    SELECT rule, hk FROM person_block_keys('person_unstable')
    UNION ALL
    SELECT rule, hk FROM person_block_keys('person_prev_unstable'))
  WHERE getvariable('incremental');
CREATE OR REPLACE TEMP TABLE person_dirty_bits AS
  SELECT rid, bit_or(1::BIGINT << rule) AS dirty_bits
  FROM person_keys SEMI JOIN person_dirty_blocks USING (rule, hk)
  GROUP BY rid;
DROP TABLE person_unstable;
DROP TABLE person_prev_unstable;

-- The blocks sorted again: the dirty ones and every block of a rule held by
-- a record with that rule's dirty bit. A record has two blocks of the phone
-- rule (phone and mobile): a pair sharing both, only one of them dirty,
-- drops the rule from its carried mask and must find it again in the clean
-- one, so that one is sorted too (a clean block sorted again gives its last
-- pairs).
CREATE OR REPLACE TEMP TABLE person_resorted_blocks AS
  SELECT DISTINCT k.rule, k.hk FROM person_keys k JOIN person_dirty_bits d USING (rid)
  WHERE (d.dirty_bits >> k.rule) & 1 = 1;
DROP TABLE person_dirty_blocks;
-- their keys, once (person_fresh reads them twice), with the sort value
-- built for them alone from their records; or every key on a full run (a
-- view: no copy of the keys)
CREATE OR REPLACE TEMP TABLE person_resorted_keys AS
  SELECT rid, rule, hk FROM person_keys SEMI JOIN person_resorted_blocks USING (rule, hk)
  WHERE getvariable('incremental');
CREATE OR REPLACE TEMP VIEW person_resorted AS
  SELECT rid, rule, hk, s FROM person_block_keys('stg_persons') WHERE NOT getvariable('incremental')
  UNION ALL
  SELECT k.rid, k.rule, k.hk, person_sort_value(k.rule, p.last_n, p.first_key, p.postal_n, p.city_n) AS s
  FROM person_resorted_keys k JOIN stg_persons p USING (rid);

CREATE OR REPLACE TEMP TABLE person_fresh AS
WITH
-- keys of 2 to max_block_size records (a hash count, before any sort)
blocks AS (
  SELECT rule, hk FROM person_resorted GROUP BY rule, hk
  HAVING count(*) BETWEEN 2 AND getvariable('max_block_size')
),
-- identifier rules see block_window neighbours, name and place rules (big
-- blocks of namesakes and neighbours) name_block_window. Neighbours come
-- from lead() at fixed offsets (block_window is at most 10): one sort per
-- rule and key.
windowed AS (
  SELECT rid,
         CASE WHEN rule IN (3, 8, 9, 11) THEN getvariable('block_window') ELSE getvariable('name_block_window') END AS w,
         (1::BIGINT << rule) AS bit,
         lead(rid, 1) OVER nb AS n1, lead(rid, 2) OVER nb AS n2, lead(rid, 3) OVER nb AS n3, lead(rid, 4) OVER nb AS n4,
         lead(rid, 5) OVER nb AS n5, lead(rid, 6) OVER nb AS n6, lead(rid, 7) OVER nb AS n7, lead(rid, 8) OVER nb AS n8,
         lead(rid, 9) OVER nb AS n9, lead(rid, 10) OVER nb AS n10
  FROM person_resorted SEMI JOIN blocks USING (rule, hk)
  WINDOW nb AS (PARTITION BY rule, hk ORDER BY s, rid)
),
blocked AS (
  SELECT least(rid, other) << 32 | greatest(rid, other) AS pair, bit
  FROM (SELECT rid, bit, unnest([n1, n2, n3, n4, n5, n6, n7, n8, n9, n10][1:w]) AS other FROM windowed)
  WHERE other IS NOT NULL
),
-- cross-system ids written back by earlier runs always form a candidate
-- (two equi-joins: an OR in the join condition is a nested loop, N x N),
-- cheap enough to find afresh every run, so never carried
p AS (
  SELECT rid, system, record_id, cross_id_n FROM stg_persons WHERE NOT deleted
),
crossed AS (
  SELECT least(h.rid, s.rid) << 32 | greatest(h.rid, s.rid) AS pair, (1::BIGINT << 2) AS bit
  FROM p h JOIN p s ON h.cross_id_n = s.record_id
  WHERE h.system = 'hubspot' AND s.system = 'salesforce'
  UNION ALL
  SELECT least(h.rid, s.rid) << 32 | greatest(h.rid, s.rid), (1::BIGINT << 2)
  FROM p h JOIN p s ON s.cross_id_n = h.record_id
  WHERE h.system = 'hubspot' AND s.system = 'salesforce'
)
SELECT pair, bit_or(bit) AS rule_mask
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY pair;
-- how much of the blocking and comparison this run redoes (the run's
-- transform state; the pair counts once the candidates are built): the
-- blocks sorted again (NULL on a full run, which sorts every one)
CREATE OR REPLACE TABLE person_match_work AS
  SELECT (SELECT count(*) FROM person_stable) AS stable_records,
         CASE WHEN getvariable('incremental') THEN (SELECT count(*) FROM person_resorted_blocks) END AS resorted_blocks,
         NULL::BIGINT AS compared_pairs, NULL::BIGINT AS candidate_pairs;
DROP VIEW person_resorted;
DROP TABLE person_resorted_keys;
DROP TABLE person_resorted_blocks;
DROP TABLE person_keys;

-- the stable records' rids now and in the last run, with their dirty bits
CREATE OR REPLACE TEMP TABLE person_carry_rids AS
  SELECT s.rid, s.prev_rid, coalesce(d.dirty_bits, 0) AS dirty_bits
  FROM person_stable s LEFT JOIN person_dirty_bits d USING (rid);
DROP TABLE person_dirty_bits;
DROP TABLE person_stable;
-- every pair found afresh or carried with a rule left; the carried
-- comparison goes with it either way. The carried pairs (nearly all on a
-- nightly run) stream through the join; the fresh ones are its hash table.
CREATE OR REPLACE TABLE person_candidates AS
WITH
-- the last run's pairs of two stable records, on this run's rids, less the
-- rules of their dirty blocks and the cross-id rule (found afresh above),
-- with the last comparison: the pair's two records are as they were
carried AS (
  SELECT l.rid << 32 | r.rid AS pair, pp.rule_mask & ~(l.dirty_bits | r.dirty_bits | (1::BIGINT << 2)) AS rule_mask,
         pp.pattern, pp.same_cross_id, pp.conflicting_cross_id
  FROM prev_person_pairs pp
  JOIN person_carry_rids l ON l.prev_rid = pp.left_rid
  JOIN person_carry_rids r ON r.prev_rid = pp.right_rid
  WHERE getvariable('incremental')
)
SELECT coalesce(c.pair, f.pair) >> 32 AS left_rid, coalesce(c.pair, f.pair) & 4294967295 AS right_rid,
       coalesce(c.rule_mask, 0) | coalesce(f.rule_mask, 0) AS rule_mask,
       c.pattern, c.same_cross_id, c.conflicting_cross_id
FROM carried c FULL JOIN person_fresh f ON f.pair = c.pair
WHERE coalesce(c.rule_mask, 0) | coalesce(f.rule_mask, 0) <> 0;
DROP TABLE person_carry_rids;
DROP TABLE person_fresh;

UPDATE person_match_work SET compared_pairs = c.compared, candidate_pairs = c.candidates
  FROM (SELECT count(*) FILTER (WHERE pattern IS NULL) AS compared, count(*) AS candidates FROM person_candidates) c;
