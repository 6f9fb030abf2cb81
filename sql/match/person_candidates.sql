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
-- Incremental: a block (rule, key) that no key arrived in or departed from
-- since the last run (a record's key with the same sort value stays where
-- it was, even if the record changed elsewhere) yields the last run's
-- pairs; in the other blocks only the pairs near a moved key are found
-- afresh (person_windowed). The rest of the last run's pairs (the match
-- state, prev_person_pairs with their rule_mask) are carried. A carried
-- pair keeps its last comparison too (pattern and cross-id flags) where
-- its two records are unchanged, else NULL: person_pairs compares it.

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

-- the rule's sorted window:
-- * identifier rules (email, phone, street_city) see block_window
--   neighbours: their blocks are small;
-- * rules whose key and sort value together hold both names (full_name and
--   swapped_name by place, last_name_city by first name, birthdate_first by
--   surname) see one: one person's records sort side by side, and a chain
--   of neighbours clusters them all, where a second neighbour is nearly
--   always a namesake;
-- * the other name, place and mailbox rules (big blocks of namesakes and
--   neighbours at scale, sorted by a field that may be misspelt) see
--   name_block_window.
-- (With the mailbox moved from block_window to name_block_window and the
-- both-name rules to one: 25% fewer person pairs at 1M people per system,
-- precision 0.9122 -> 0.9211 and recall 0.9892 -> 0.9889 on the generator's
-- truth, every seed's F1 unchanged; docs/scaling.md, entry 2026-12-07 04:05.)
CREATE OR REPLACE TEMP MACRO person_block_window(rule) AS
  CASE WHEN rule IN (3, 9, 11) THEN getvariable('block_window')
       WHEN rule IN (1, 5, 6, 12) THEN 1
       ELSE getvariable('name_block_window') END;

-- The last run's live records still staged, by record_key: their rid now
-- and then, whether live now, and whether stable (live with the same
-- compared fields: person_fields' columns in person_pairs, which include
-- every field a key or sort value above reads). rid is a row number in
-- record_key order: a record's rid may move between runs but never past
-- another's, so records of a block whose keys and sort values are as they
-- were sort (s, rid) as they did, and a carried pair keeps left_rid <
-- right_rid. A full run has no prev rows: every block is sorted.
CREATE OR REPLACE TEMP TABLE person_prev_rids AS
  SELECT s.rid, p.rid AS prev_rid, NOT s.deleted AS live,
         NOT s.deleted
         AND p.cross_id_n IS NOT DISTINCT FROM s.cross_id_n AND p.first_key IS NOT DISTINCT FROM s.first_key
         AND p.first_n IS NOT DISTINCT FROM s.first_n AND p.last_n IS NOT DISTINCT FROM s.last_n
         AND p.birthdate_d IS NOT DISTINCT FROM s.birthdate_d AND p.email_n IS NOT DISTINCT FROM s.email_n
         AND p.email_key IS NOT DISTINCT FROM s.email_key AND p.phone_n IS NOT DISTINCT FROM s.phone_n
         AND p.mobile_n IS NOT DISTINCT FROM s.mobile_n AND p.street_n IS NOT DISTINCT FROM s.street_n
         AND p.city_n IS NOT DISTINCT FROM s.city_n AND p.postal_n IS NOT DISTINCT FROM s.postal_n
         AND p.state_n IS NOT DISTINCT FROM s.state_n AND p.company_n IS NOT DISTINCT FROM s.company_n AS stable
  FROM stg_persons s JOIN prev_stg_persons p ON p.record_key = s.record_key
  WHERE NOT p.deleted;

-- the keys' hashes, kept on an incremental run: the members of the
-- blocks sorted again are found in them. No sort value: only the keys of
-- those blocks need one (person_resorted), a fraction of the 25 M keys at
-- a million people.
CREATE OR REPLACE TEMP TABLE person_keys AS
  SELECT rid, rule, hk FROM person_block_keys('stg_persons') WHERE getvariable('incremental');
-- the records that are not stable: this run's live ones that changed or
-- appeared, and the last run's live ones that changed or went, on this
-- run's rid (NULL: no longer staged)
CREATE OR REPLACE TEMP TABLE person_unstable AS
  SELECT c.* FROM stg_persons c ANTI JOIN (SELECT rid FROM person_prev_rids WHERE stable) s USING (rid)
  WHERE NOT c.deleted AND getvariable('incremental');
CREATE OR REPLACE TEMP TABLE person_prev_unstable AS
  SELECT p.* REPLACE (r.rid AS rid)
  FROM prev_stg_persons p LEFT JOIN person_prev_rids r ON r.prev_rid = p.rid
  WHERE NOT p.deleted AND NOT coalesce(r.stable, false);
-- The moved keys: a key (rule, hk) with its sort value s is where a record
-- sits in a block's order. Those of a changed record that are the same in
-- both runs leave it where it was: its neighbours are as they were (only
-- its comparison is redone). The others moved: arrived (this run's keys of
-- new records and changed ones) or departed (the last run's keys of
-- changed records and of those that went; rid NULL for a record no longer
-- staged). A phone change moves one key, not the record's dozen.
CREATE OR REPLACE TEMP TABLE person_moved_keys AS
WITH cur AS (SELECT rid, rule, hk, s FROM person_block_keys('person_unstable')),
prev AS (SELECT rid, rule, hk, s FROM person_block_keys('person_prev_unstable'))
SELECT *, false AS departed FROM (FROM cur EXCEPT ALL FROM prev)
UNION ALL
SELECT *, true AS departed FROM (FROM prev EXCEPT ALL FROM cur);
DROP TABLE person_unstable;
DROP TABLE person_prev_unstable;

-- Dirty blocks: those a key arrived in or departed from; the others sort
-- as they did and their last pairs are carried. Their members now, and how
-- each changes:
-- * none where the block holds 2 to max_block_size records in neither run
--   (no pairs either time);
-- * whole where it crosses those bounds, holds a record no longer staged
--   (its old place among rids is unknown), is of the phone rule (a record
--   has two blocks of it, phone and mobile: a pair's carried bit cannot
--   tell which block found it), or lost more records than the sorted
--   window can skip (10 - w, see person_windowed): every pair of the block is
--   found afresh and none carried;
-- * slide otherwise: only pairs near a moved key change (see person_windowed).
CREATE OR REPLACE TEMP TABLE person_dirty_members AS
  SELECT rid, rule, hk FROM person_keys SEMI JOIN person_moved_keys USING (rule, hk);
CREATE OR REPLACE TEMP TABLE person_dirty_blocks AS
WITH moved AS (
  SELECT rule, hk, count(*) FILTER (WHERE NOT departed) AS arrived, count(*) FILTER (WHERE departed) AS departed,
         bool_or(departed AND rid IS NULL) AS unplaced
  FROM person_moved_keys GROUP BY rule, hk
),
sized AS (
  SELECT m.*, coalesce(z.n, 0) AS n, coalesce(z.n, 0) - m.arrived + m.departed AS prev_n
  FROM moved m LEFT JOIN (SELECT rule, hk, count(*) AS n FROM person_dirty_members GROUP BY rule, hk) z USING (rule, hk)
)
SELECT rule, hk, n BETWEEN 2 AND getvariable('max_block_size') AS in_now,
       CASE WHEN rule = 9 OR unplaced OR departed > 10 - person_block_window(rule)
              OR (n BETWEEN 2 AND getvariable('max_block_size')) <> (prev_n BETWEEN 2 AND getvariable('max_block_size'))
            THEN 'whole' ELSE 'slide' END AS how
FROM sized
WHERE n BETWEEN 2 AND getvariable('max_block_size') OR prev_n BETWEEN 2 AND getvariable('max_block_size');

-- Per record, the rules whose carried pairs it drops before the sorted
-- windows (person_windowed adds those near a moved key): the rules of its
-- moved keys (its pairs of that rule were found where it no longer is) and
-- of the whole blocks it is in
CREATE OR REPLACE TEMP TABLE person_drop_bits AS
  SELECT rid, bit_or(1::BIGINT << rule) AS drop_bits
  FROM (SELECT m.rid, m.rule FROM person_dirty_members m JOIN person_dirty_blocks b USING (rule, hk) WHERE b.how = 'whole'
        UNION ALL
        SELECT rid, rule FROM person_moved_keys WHERE rid IS NOT NULL)
  GROUP BY rid;

-- The blocks sorted again: the dirty ones holding 2 to max_block_size
-- records now, and every phone-rule block of a record that drops the
-- phone rule: a pair sharing both its phone and its mobile block, only one
-- of them dirty, must find the rule again in the clean one, so that one
-- is sorted too, whole (a clean block sorted again gives its last pairs).
CREATE OR REPLACE TEMP TABLE person_resorted_blocks AS
  SELECT rule, hk, bool_or(whole) AS whole FROM (
    SELECT rule, hk, how = 'whole' AS whole FROM person_dirty_blocks WHERE in_now
    UNION ALL
    SELECT k.rule, k.hk, true FROM person_keys k JOIN person_drop_bits d USING (rid)
    WHERE k.rule = 9 AND (d.drop_bits >> 9) & 1 = 1)
  GROUP BY rule, hk;
-- their keys now, once, with the record's kind there: 1 arrived, 0 where it
-- was (stable, or changed elsewhere)
CREATE OR REPLACE TEMP TABLE person_resorted_keys AS
  SELECT k.rid, k.rule, k.hk, b.whole, CASE WHEN a.rid IS NULL THEN 0 ELSE 1 END::UTINYINT AS kind
  FROM person_keys k JOIN person_resorted_blocks b USING (rule, hk)
  LEFT JOIN (SELECT rid, rule, hk FROM person_moved_keys WHERE NOT departed) a USING (rid, rule, hk);
DROP TABLE person_dirty_members;
DROP TABLE person_keys;
-- the keys sorted again, with the sort value built for them alone from
-- their records, and the departed keys of the sliding blocks (kind 2: the
-- record's old place, by its old sort value and its rid now)
CREATE OR REPLACE TEMP VIEW person_resorted AS
  SELECT k.rid, k.rule, k.hk, person_sort_value(k.rule, p.last_n, p.first_key, p.postal_n, p.city_n) AS s, k.kind, k.whole
  FROM person_resorted_keys k JOIN stg_persons p USING (rid)
  UNION ALL
  SELECT m.rid, m.rule, m.hk, m.s, 2::UTINYINT, false
  FROM person_moved_keys m JOIN person_dirty_blocks b USING (rule, hk)
  WHERE m.departed AND b.how = 'slide';

-- The sorted windows. Neighbours come from lead() at fixed offsets
-- (block_window is at most 10): one sort per rule and key. A departed key
-- is a row without a rid among them, skipped: a sliding block has at most
-- 10 - w, so the first w rids of the next ten rows are a record's w
-- neighbours now.
-- In a sliding block the records whose keys stayed (kind 0) keep their
-- order and their distance: two of them are a pair now exactly when they
-- were one last run, unless a moved key sits between them in either run.
-- A pair of at most w apart that holds a moved key between them has one
-- within w rows of each (the rows between are records that stayed), so:
-- * near: a moved key within w rows either side. Such a record drops the
--   rule from its carried pairs (touched);
-- * reach: a moved key from w rows before to 2w after. Such a record's
--   pairs with its next w neighbours are found afresh: this covers every
--   pair that holds an arrived or touched record or spans a moved key
--   (a neighbour past a departed key has one within w rows; otherwise it
--   is at most w rows on and its own near rows are within 2w).
-- Every other pair of a sliding block is carried with its rule bit.
CREATE OR REPLACE TEMP TABLE person_windowed AS
WITH
-- blocks of 2 to max_block_size records now (a hash count, before any
-- sort; departed keys not counted)
blocks AS (
  SELECT rule, hk FROM person_resorted GROUP BY rule, hk
  HAVING count(*) FILTER (WHERE kind < 2) BETWEEN 2 AND getvariable('max_block_size')
),
windowed AS (
  SELECT rid, rule, kind, whole, person_block_window(rule) AS w,
         lead(nv, 1) OVER nb AS n1, lead(nv, 2) OVER nb AS n2, lead(nv, 3) OVER nb AS n3, lead(nv, 4) OVER nb AS n4,
         lead(nv, 5) OVER nb AS n5, lead(nv, 6) OVER nb AS n6, lead(nv, 7) OVER nb AS n7, lead(nv, 8) OVER nb AS n8,
         lead(nv, 9) OVER nb AS n9, lead(nv, 10) OVER nb AS n10,
         count(*) FILTER (WHERE kind > 0) OVER (nb ROWS BETWEEN person_block_window(rule) PRECEDING AND person_block_window(rule) FOLLOWING) AS near,
         count(*) FILTER (WHERE kind > 0) OVER (nb ROWS BETWEEN person_block_window(rule) PRECEDING AND 2 * person_block_window(rule) FOLLOWING) AS reach
  FROM (SELECT *, CASE WHEN kind < 2 THEN rid END AS nv FROM person_resorted SEMI JOIN blocks USING (rule, hk))
  WINDOW nb AS (PARTITION BY rule, hk ORDER BY s, rid)
)
SELECT rid, rule, kind = 0 AND NOT whole AND near > 0 AS touched, w,
       [n1, n2, n3, n4, n5, n6, n7, n8, n9, n10] AS next_rids
FROM windowed
WHERE kind < 2 AND (whole OR reach > 0);
DROP VIEW person_resorted;
DROP TABLE person_resorted_keys;
DROP TABLE person_dirty_blocks;
DROP TABLE person_moved_keys;

-- every key on a full run (a view: no copy)
CREATE OR REPLACE TEMP VIEW person_all_keys AS
  SELECT rid, rule, hk, s FROM person_block_keys('stg_persons') WHERE NOT getvariable('incremental');

CREATE OR REPLACE TEMP TABLE person_fresh AS
WITH
-- a full run sorts every block whole, its windows streamed (no table of
-- them as above)
all_blocks AS (
  SELECT rule, hk FROM person_all_keys GROUP BY rule, hk
  HAVING count(*) BETWEEN 2 AND getvariable('max_block_size')
),
all_windowed AS (
  SELECT rid, rule, person_block_window(rule) AS w,
         lead(rid, 1) OVER nb AS n1, lead(rid, 2) OVER nb AS n2, lead(rid, 3) OVER nb AS n3, lead(rid, 4) OVER nb AS n4,
         lead(rid, 5) OVER nb AS n5, lead(rid, 6) OVER nb AS n6, lead(rid, 7) OVER nb AS n7, lead(rid, 8) OVER nb AS n8,
         lead(rid, 9) OVER nb AS n9, lead(rid, 10) OVER nb AS n10
  FROM person_all_keys SEMI JOIN all_blocks USING (rule, hk)
  WINDOW nb AS (PARTITION BY rule, hk ORDER BY s, rid)
),
-- the next w neighbours (departed keys skipped on an incremental run)
neighbours AS (
  SELECT rid, rule, unnest([n1, n2, n3, n4, n5, n6, n7, n8, n9, n10][1:w]) AS other FROM all_windowed
  UNION ALL
  SELECT rid, rule, unnest(list_filter(next_rids, lambda x: x IS NOT NULL)[1:w]) FROM person_windowed
),
blocked AS (
  SELECT least(rid, other) << 32 | greatest(rid, other) AS pair, (1::BIGINT << rule) AS bit
  FROM neighbours WHERE other IS NOT NULL
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
  SELECT (SELECT count(*) FROM person_prev_rids WHERE stable) AS stable_records,
         CASE WHEN getvariable('incremental') THEN (SELECT count(*) FROM person_resorted_blocks) END AS resorted_blocks,
         NULL::BIGINT AS compared_pairs, NULL::BIGINT AS candidate_pairs;
DROP VIEW person_all_keys;
DROP TABLE person_resorted_blocks;

-- the records live in both runs: their rids now and then, whether stable,
-- and the rules whose carried pairs they drop
CREATE OR REPLACE TEMP TABLE person_carry_rids AS
  SELECT r.rid, r.prev_rid, r.stable, coalesce(d.drop_bits, 0) | coalesce(t.drop_bits, 0) AS drop_bits
  FROM person_prev_rids r
  LEFT JOIN person_drop_bits d USING (rid)
  LEFT JOIN (SELECT rid, bit_or(1::BIGINT << rule) AS drop_bits FROM person_windowed WHERE touched GROUP BY rid) t USING (rid)
  WHERE r.live;
DROP TABLE person_drop_bits;
DROP TABLE person_windowed;
DROP TABLE person_prev_rids;
-- every pair found afresh or carried with a rule left; the carried
-- comparison goes with it where both records are stable. The carried pairs
-- (nearly all on a nightly run) stream through the join; the fresh ones
-- are its hash table.
CREATE OR REPLACE TABLE person_candidates AS
WITH
-- the last run's pairs of two records live in both runs, on this run's
-- rids, less the rules either dropped and the cross-id rule (found afresh
-- above), with the last comparison if neither record changed
carried AS (
  SELECT l.rid << 32 | r.rid AS pair, pp.rule_mask & ~(l.drop_bits | r.drop_bits | (1::BIGINT << 2)) AS rule_mask,
         CASE WHEN l.stable AND r.stable THEN pp.pattern END AS pattern,
         CASE WHEN l.stable AND r.stable THEN pp.same_cross_id END AS same_cross_id,
         CASE WHEN l.stable AND r.stable THEN pp.conflicting_cross_id END AS conflicting_cross_id
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
