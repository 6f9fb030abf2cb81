-- kind: macros
-- Normalisers shared by the staging models. Each returns NULL for a value
-- that carries nothing (blank, punctuation only), so comparisons see "null".

-- lower case, accents stripped, punctuation to spaces, spaces squeezed
-- (norm_text_raw: '' where norm_text is NULL. DuckDB turns nullif(x, '')
-- into CASE WHEN x = '' THEN NULL ELSE x END, which computes x twice where
-- it cannot share it, inside a CASE branch or a filter: canon_value's
-- branches build on the raw forms, see canon_text)
CREATE OR REPLACE MACRO norm_text_raw(s) AS
  trim(regexp_replace(regexp_replace(lower(strip_accents(coalesce(s, ''))), '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g'));
CREATE OR REPLACE MACRO norm_text(s) AS nullif(norm_text_raw(s), '');

-- a person name as letters only: "O'Brien" -> obrien, "Mary-Jane" -> maryjane
CREATE OR REPLACE MACRO norm_name(s) AS
  nullif(regexp_replace(lower(strip_accents(coalesce(s, ''))), '[^a-z]', '', 'g'), '');

-- a syntactically valid address, lower case; mailbox tags dropped and, for
-- Gmail, dots too, where the provider documents that they are ignored; an
-- address whose mailbox is nothing but a tag or dots ("+x@gmail.com") is no
-- address (NULL), not "@gmail.com", which would not normalise to itself
-- (list_position, not IN: DuckDB turns a long IN list into a join, which
-- runs before the CASE that calls this macro, on every row: canon_value
-- computed every value's email parts. Not list_contains either: DuckDB
-- 2.0.0 fails to bind list_contains of a split_part whose column holds
-- only NULLs, "BindBuiltinScalarFunction did not return a
-- BoundFunctionExpression"; the febrl seeds have no email at all.)
CREATE OR REPLACE MACRO norm_email_parts(local_part, domain_part) AS
  CASE
    WHEN list_position(['gmail.com', 'googlemail.com'], domain_part) IS NOT NULL
      THEN nullif(replace(regexp_replace(local_part, '\+.*$', ''), '.', ''), '') || '@gmail.com'
    WHEN list_position(['outlook.com', 'hotmail.com', 'live.com', 'icloud.com', 'me.com', 'fastmail.com', 'protonmail.com', 'proton.me'], domain_part) IS NOT NULL
      THEN nullif(regexp_replace(local_part, '\+.*$', ''), '') || '@' || domain_part
    ELSE local_part || '@' || domain_part
  END;
CREATE OR REPLACE MACRO norm_email(s) AS
  CASE WHEN regexp_full_match(lower(trim(s)), '[^@\s]+@[^@\s]+\.[a-z]{2,}')
    THEN norm_email_parts(split_part(lower(trim(s)), '@', 1), split_part(lower(trim(s)), '@', 2))
  END;

-- digits only, a leading NANP country code or international 00 dropped;
-- fewer than 7 digits is not a phone number
CREATE OR REPLACE MACRO phone_digits(s) AS regexp_replace(coalesce(s, ''), '[^0-9]', '', 'g');
-- (international 00 first, so "001 555 ..." meets "+1 555 ..."; a NANP area
-- code never starts with 0 or 1, so the result normalises to itself)
CREATE OR REPLACE MACRO phone_intl(d) AS regexp_replace(d, '^(00)+', '');
-- (one expression over the digits, which a macro would otherwise expand,
-- two regexp_replace each, at every use: the NANP 1 of an 11-digit number
-- dropped by a regexp, then fewer than 7 digits is NULL)
CREATE OR REPLACE MACRO norm_phone_raw(s) AS
  regexp_extract(regexp_replace(phone_intl(phone_digits(s)), '^1([2-9][0-9]{9})$', '\1'), '^[0-9]{7,}$');
CREATE OR REPLACE MACRO norm_phone(s) AS nullif(norm_phone_raw(s), '');

-- a host name from a website or domain: no scheme, www, path or port; a
-- value without a dotted host ("Yes", "n/a") is a form answer, not a domain
CREATE OR REPLACE MACRO norm_domain_host(s) AS
  regexp_replace(regexp_replace(lower(trim(coalesce(s, ''))), '^[a-z]+://', ''), '^www\.|[:/?#].*$', '', 'g');
CREATE OR REPLACE MACRO norm_domain(s) AS
  CASE WHEN regexp_full_match(norm_domain_host(s), '[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}') THEN norm_domain_host(s) END;

-- helpers for whole-word replacement (RE2 has no look-around): every word
-- gets its own surrounding spaces, then runs of spaces are squeezed
CREATE OR REPLACE MACRO spaced(s) AS ' ' || replace(s, ' ', '  ') || ' ';
CREATE OR REPLACE MACRO squeeze_raw(s) AS trim(regexp_replace(s, '\s+', ' ', 'g'));
CREATE OR REPLACE MACRO squeeze(s) AS nullif(squeeze_raw(s), '');

-- street addresses with the usual abbreviations folded to one form, word by
-- word: norm_text leaves words of [a-z0-9] between single spaces, so a
-- lookup per word gives what 22 whole-word regexp_replace passes over the
-- spaced text gave (no replacement is replaced again by a later pass), in
-- a sixth of the time
CREATE OR REPLACE MACRO street_word(w) AS
  CASE w
    WHEN 'street' THEN 'st' WHEN 'str' THEN 'st' WHEN 'strt' THEN 'st'
    WHEN 'avenue' THEN 'ave' WHEN 'av' THEN 'ave' WHEN 'aven' THEN 'ave'
    WHEN 'road' THEN 'rd'
    WHEN 'drive' THEN 'dr' WHEN 'drv' THEN 'dr'
    WHEN 'boulevard' THEN 'blvd' WHEN 'blv' THEN 'blvd' WHEN 'boul' THEN 'blvd'
    WHEN 'place' THEN 'pl'
    WHEN 'lane' THEN 'ln'
    WHEN 'suite' THEN '#' WHEN 'ste' THEN '#' WHEN 'apartment' THEN '#' WHEN 'apt' THEN '#' WHEN 'unit' THEN '#'
    WHEN 'north' THEN 'n' WHEN 'south' THEN 's' WHEN 'east' THEN 'e' WHEN 'west' THEN 'w'
    WHEN 'first' THEN '1st' WHEN 'second' THEN '2nd' WHEN 'third' THEN '3rd' WHEN 'fourth' THEN '4th' WHEN 'fifth' THEN '5th'
    WHEN 'sixth' THEN '6th' WHEN 'seventh' THEN '7th' WHEN 'eighth' THEN '8th' WHEN 'ninth' THEN '9th' WHEN 'tenth' THEN '10th'
    ELSE w
  END;
CREATE OR REPLACE MACRO norm_street_raw(s) AS
  array_to_string(list_transform(string_split(norm_text_raw(s), ' '), lambda w: street_word(w)), ' ');
CREATE OR REPLACE MACRO norm_street(s) AS nullif(norm_street_raw(s), '');

-- the house number of a street address ("1414 w 87th st" -> 1414); the
-- number tells sites on one street apart
CREATE OR REPLACE MACRO street_number(street_n) AS nullif(regexp_extract(street_n, '^([0-9]+)', 1), '');

-- the street itself without house number, directions, street type or
-- cross-street notes: "3858 s cottage grove ave" -> "cottage grove"
CREATE OR REPLACE MACRO street_core(street_n) AS squeeze(regexp_replace(
    spaced(regexp_replace(regexp_replace(coalesce(street_n, ''), '^[0-9]+[a-z]? ?', ''), ' (between|btwn|at|off|near|corner|#) .*$', '')),
    ' (n|s|e|w|ne|nw|se|sw|st|ave|rd|dr|blvd|pl|ln|ct|pkwy|hwy|way|ter|sq) ', ' ', 'g'));

-- a company name without legal form, articles or punctuation
CREATE OR REPLACE MACRO norm_company(s) AS squeeze(regexp_replace(
    spaced(norm_text(replace(coalesce(s, ''), '&', ' and '))),
    ' (the|inc|incorporated|llc|l l c|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|sarl|plc|pty|llp|lp) ', ' ', 'g'));

-- similarity on nullable strings; 0 when either side is missing
CREATE OR REPLACE MACRO jw(a, b) AS coalesce(jaro_winkler_similarity(a, b), 0);

-- the distinct words of a normalised company name, for token comparisons
-- (single letters and joining words carry nothing: "bill s", "house of")
CREATE OR REPLACE MACRO name_tokens(name_n) AS
  list_sort(list_distinct(list_filter(string_split(coalesce(name_n, ''), ' '),
    lambda w: length(w) > 1 AND w NOT IN ('and', 'of', 'for', 'the', 'at', 'in', 'on'))));

-- Fellegi-Sunter parameters from the data (matching.estimate). A comparison
-- table in long form, one row per (pattern, comparison, level) with the
-- number n of pairs showing the pattern, is all the estimation reads;
-- 'null' levels carry no evidence and are left out.
--
-- fs_u(levels): u per comparison and level from random record pairs (rows
-- comparison, level, n): the share of random pairs at the level, smoothed so
-- that a level no random pair reached counts as half a pair
CREATE OR REPLACE MACRO fs_u(levels) AS TABLE
SELECT comparison, level,
       (sum(n) + 0.5) / (sum(sum(n)) OVER (PARTITION BY comparison) + 0.5 * count(*) OVER (PARTITION BY comparison)) AS u
FROM query_table(levels) WHERE level <> 'null' GROUP BY comparison, level;

-- em_step(state, patterns): one expectation-maximisation round over the
-- candidate pairs' patterns (columns pattern, n, comparison, level). The
-- state (one row: iter, delta, p_match, ps = list of {comparison, level, m,
-- u}) holds the share of candidate pairs that match, m, and the u among the
-- candidate pairs' non-matches: these share blocking keys, so they agree
-- far more often than random pairs, and an EM that held the random-pair u
-- would call every candidate a match. Only m is kept (fs_u gives u).
-- Returns the next state; delta is the largest change of an m.
CREATE OR REPLACE MACRO em_step(state, patterns) AS TABLE
WITH cur AS (
  SELECT unnest(ps, recursive := true), p_match, iter FROM query_table(state)
),
par AS (
  SELECT comparison, level, greatest(m, 1e-6) AS m, greatest(u, 1e-6) AS u FROM cur
),
lam AS (SELECT any_value(p_match) AS p_match, any_value(iter) AS iter FROM cur),
per_pattern AS (
  SELECT p.pattern, any_value(p.n) AS n, sum(ln(par.m) - ln(par.u)) AS log_bf
  FROM query_table(patterns) p JOIN par USING (comparison, level)
  GROUP BY p.pattern
),
posterior AS (
  SELECT pattern, n, 1 / (1 + exp(-(log_bf + ln(lam.p_match) - ln(1 - lam.p_match)))) AS pm
  FROM per_pattern, lam
),
expected AS (
  SELECT p.comparison, p.level, sum(p.n * po.pm) AS sm, sum(p.n * (1 - po.pm)) AS su
  FROM query_table(patterns) p JOIN posterior po USING (pattern)
  GROUP BY p.comparison, p.level
),
new_par AS (
  SELECT par.comparison, par.level,
         (coalesce(e.sm, 0) + 1e-3) / (sum(coalesce(e.sm, 0) + 1e-3) OVER (PARTITION BY par.comparison)) AS m,
         (coalesce(e.su, 0) + 1e-3) / (sum(coalesce(e.su, 0) + 1e-3) OVER (PARTITION BY par.comparison)) AS u,
         par.m AS old_m
  FROM par LEFT JOIN expected e USING (comparison, level)
)
SELECT any_value(lam.iter) + 1 AS iter, max(abs(new_par.m - new_par.old_m)) AS delta,
       (SELECT least(greatest(sum(n * pm) / sum(n), 1e-6), 1 - 1e-6) FROM posterior) AS p_match,
       list({'comparison': comparison, 'level': level, 'm': m, 'u': u} ORDER BY comparison, level) AS ps
FROM new_par, lam;

-- Blocking rules travel from the candidates models to the pairs as a
-- bitmask (bit i = rule i of the entity's list, alphabetical, so the names
-- come back sorted); rule_names(mask, names) turns a mask into the names.
CREATE OR REPLACE MACRO person_rule_names() AS
  ['birthdate', 'birthdate_first', 'cross_id', 'email', 'first_name_city', 'full_name', 'last_name_city',
   'last_name_first_initial', 'mailbox', 'phone', 'postal_code', 'street_city', 'swapped_name'];
CREATE OR REPLACE MACRO rule_names(mask, names) AS
  [names[i + 1] FOR i IN range(len(names)) IF (mask >> i) & 1 = 1];

-- the initials of a normalised company name's words, in order, joining
-- words left out: "lutheran social services of illinois" -> "lssi"
CREATE OR REPLACE MACRO name_initials(name_n) AS
  array_to_string(list_transform(list_filter(string_split(coalesce(name_n, ''), ' '),
    lambda w: length(w) > 0 AND w NOT IN ('and', 'of', 'for', 'the', 'at', 'in', 'on')), lambda w: w[1]), '');

-- the words of a (name_tokens list) that nothing in the other name (its
-- words b, its normalised text b_name) accounts for: an equal word, one a
-- prefix of the other ("deli" / "delicatessen"), a near spelling, an
-- abbreviation ("ctr" / "center": the letters in order, the first one
-- first) or, from three letters, an acronym of its words ("cyc" / "chicago
-- youth centers")
CREATE OR REPLACE MACRO words_unmatched(a, b, b_name) AS
  list_filter(coalesce(a, []), lambda x: NOT (
    coalesce(list_bool_or(list_transform(coalesce(b, []),
      lambda y: x = y OR starts_with(x, y) OR starts_with(y, x) OR jaro_winkler_similarity(x, y) >= 0.9
        OR (length(x) < length(y) AND x[1] = y[1] AND y LIKE array_to_string(string_split(x, ''), '%') || '%'))), false)
    OR (length(x) >= 3 AND contains(name_initials(b_name), x))));
