-- kind: macros
-- Normalisers shared by the staging models. Each returns NULL for a value
-- that carries nothing (blank, punctuation only), so comparisons see "null".

-- lower case, accents stripped, punctuation to spaces, spaces squeezed
CREATE OR REPLACE MACRO norm_text(s) AS
  nullif(trim(regexp_replace(regexp_replace(lower(strip_accents(coalesce(s, ''))), '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g')), '');

-- a person name as letters only: "O'Brien" -> obrien, "Mary-Jane" -> maryjane
CREATE OR REPLACE MACRO norm_name(s) AS
  nullif(regexp_replace(lower(strip_accents(coalesce(s, ''))), '[^a-z]', '', 'g'), '');

-- a syntactically valid address, lower case; mailbox tags dropped and, for
-- Gmail, dots too, where the provider documents that they are ignored
CREATE OR REPLACE MACRO norm_email_parts(local_part, domain_part) AS
  CASE
    WHEN domain_part IN ('gmail.com', 'googlemail.com')
      THEN replace(regexp_replace(local_part, '\+.*$', ''), '.', '') || '@gmail.com'
    WHEN domain_part IN ('outlook.com', 'hotmail.com', 'live.com', 'icloud.com', 'me.com', 'fastmail.com', 'protonmail.com', 'proton.me')
      THEN regexp_replace(local_part, '\+.*$', '') || '@' || domain_part
    ELSE local_part || '@' || domain_part
  END;
CREATE OR REPLACE MACRO norm_email(s) AS
  CASE WHEN regexp_full_match(lower(trim(s)), '[^@\s]+@[^@\s]+\.[a-z]{2,}')
    THEN norm_email_parts(split_part(lower(trim(s)), '@', 1), split_part(lower(trim(s)), '@', 2))
  END;

-- digits only, a leading NANP country code or international 00 dropped;
-- fewer than 7 digits is not a phone number
CREATE OR REPLACE MACRO phone_digits(s) AS regexp_replace(coalesce(s, ''), '[^0-9]', '', 'g');
CREATE OR REPLACE MACRO norm_phone(s) AS
  CASE
    WHEN length(phone_digits(s)) < 7 THEN NULL
    WHEN length(phone_digits(s)) = 11 AND phone_digits(s)[1] = '1' THEN phone_digits(s)[2:]
    WHEN phone_digits(s)[1:2] = '00' THEN phone_digits(s)[3:]
    ELSE phone_digits(s)
  END;

-- a host name from a website or domain: no scheme, www, path or port; a
-- value without a dotted host ("Yes", "n/a") is a form answer, not a domain
CREATE OR REPLACE MACRO norm_domain_host(s) AS
  regexp_replace(regexp_replace(lower(trim(coalesce(s, ''))), '^[a-z]+://', ''), '^www\.|[:/?#].*$', '', 'g');
CREATE OR REPLACE MACRO norm_domain(s) AS
  CASE WHEN regexp_full_match(norm_domain_host(s), '[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}') THEN norm_domain_host(s) END;

-- helpers for whole-word replacement (RE2 has no look-around): every word
-- gets its own surrounding spaces, then runs of spaces are squeezed
CREATE OR REPLACE MACRO spaced(s) AS ' ' || replace(s, ' ', '  ') || ' ';
CREATE OR REPLACE MACRO squeeze(s) AS nullif(trim(regexp_replace(s, '\s+', ' ', 'g')), '');

-- street addresses with the usual abbreviations folded to one form
CREATE OR REPLACE MACRO norm_street(s) AS squeeze(
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    spaced(norm_text(s)),
    ' (street|str|strt) ', ' st ', 'g'),
    ' (avenue|av|aven) ', ' ave ', 'g'),
    ' road ', ' rd ', 'g'),
    ' (drive|drv) ', ' dr ', 'g'),
    ' (boulevard|blv|boul) ', ' blvd ', 'g'),
    ' place ', ' pl ', 'g'),
    ' lane ', ' ln ', 'g'),
    ' (suite|ste|apartment|apt|unit) ', ' # ', 'g'),
    ' north ', ' n ', 'g'), ' south ', ' s ', 'g'), ' east ', ' e ', 'g'), ' west ', ' w ', 'g'),
    ' first ', ' 1st ', 'g'), ' second ', ' 2nd ', 'g'), ' third ', ' 3rd ', 'g'), ' fourth ', ' 4th ', 'g'), ' fifth ', ' 5th ', 'g'),
    ' sixth ', ' 6th ', 'g'), ' seventh ', ' 7th ', 'g'), ' eighth ', ' 8th ', 'g'), ' ninth ', ' 9th ', 'g'), ' tenth ', ' 10th ', 'g'));

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
    w -> length(w) > 1 AND w NOT IN ('and', 'of', 'for', 'the', 'at', 'in', 'on'))));
