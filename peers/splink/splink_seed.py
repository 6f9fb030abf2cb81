"""Splink (DuckDB backend) on one crmhub seed directory; prints one JSON line
per entity kind (person, company) with pairwise precision, recall, F1 and the
matching time.

    python peers/splink/splink_seed.py SEED_DIR [--threads N]

The seed's CSV files (hubspot/, salesforce/) are combined into one table per
entity kind with a unique id (system:object:record_id) and the truth entity
from truth.csv. Splink is configured after its own example notebooks
(docs/demos/examples/duckdb/*.nb.py in moj-analytical-services/splink):

- febrl1/2/3 (dedupe): febrl3.nb.py, without soc_sec_id (the seeds carry no
  national id).
- febrl4 (link only, HubSpot side against Salesforce side): febrl4.nb.py's
  "detailed model", without soc_sec_id.
- fake_1000: accuracy_analysis_from_labels_column.nb.py, unchanged.
- generated people (crmhub gen): deduplicate_50k_synthetic.nb.py with its
  postcode_fake -> postcode and birth_place -> city, plus the email
  comparison and blocking rule of the fake_1000 example, and phone.
- organisations (chicago_orgs, restaurants, generated companies): Splink has
  no organisation example; the comparisons are the comparison library's
  string-similarity ones (JaroWinklerAtThresholds on name and address) and
  ExactMatch with term frequencies on city / postcode, exact phone and
  domain, trained the same way (u by random sampling, m by EM).

Every profile trains as the examples do: estimate_probability_two_random_
records_match from deterministic rules, estimate_u_using_random_sampling,
then estimate_parameters_using_expectation_maximisation with the examples'
blocking rules. Predictions are clustered with
cluster_pairwise_predictions_at_threshold at match probability 0.5.
"""
import argparse
import datetime
import json
import logging
import os
import resource
import sys
import time

import duckdb

import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

THRESHOLD = 0.5
START = time.perf_counter()


def stage(name):
    """A progress line on stderr (the run's log): where the process is, how
    long it has run, its resident and peak memory. compare.py quotes the last
    one when a run does not finish."""
    rss = 0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
    print(f"stage {name} at {now}, {time.perf_counter() - START:.1f} s in, rss {rss} MiB, peak {peak} MiB",
          file=sys.stderr, flush=True)

PERSON_SOURCES = {
    ("hubspot", "contacts"): {"first_name": "firstname", "surname": "lastname", "dob": "date_of_birth",
                              "address": "address", "city": "city", "state": "state", "postcode": "zip",
                              "email": "email", "phone": "phone"},
    ("salesforce", "Contact"): {"first_name": "FirstName", "surname": "LastName", "dob": "Birthdate",
                                "address": "MailingStreet", "city": "MailingCity", "state": "MailingState",
                                "postcode": "MailingPostalCode", "email": "Email", "phone": "Phone"},
    ("salesforce", "Lead"): {"first_name": "FirstName", "surname": "LastName", "dob": "Birthdate",
                             "address": "Street", "city": "City", "state": "State", "postcode": "PostalCode",
                             "email": "Email", "phone": "Phone"},
}
COMPANY_SOURCES = {
    ("hubspot", "companies"): {"name": "name", "address": "address", "city": "city", "postcode": "zip",
                               "phone": "phone", "domain": "domain"},
    ("salesforce", "Account"): {"name": "Name", "address": "BillingStreet", "city": "BillingCity",
                                "postcode": "BillingPostalCode", "phone": "Phone", "domain": "Website"},
}


def exec_sql(con, sql):
    """Runs a statement to completion (duckdb 2 keeps a result open until fetched)."""
    con.execute(sql).fetchall()


def csv_header(path):
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\r\n").split(",")


def build_table(con, seed, sources, cols, name):
    """One table: unique_id, source_dataset, truth entity and the unified
    columns, standardised as Splink's data-preparation guidance asks (trim,
    lower case, empty string -> NULL; phone digits only; domain without
    scheme and www.)."""
    parts = []
    for (system, obj), mapping in sources.items():
        path = os.path.join(seed, system, obj + ".csv")
        if not os.path.exists(path):
            continue
        header = csv_header(path)
        idcol = "id" if system == "hubspot" else "Id"
        sel = [f"'{system}:{obj}:' || \"{idcol}\" as unique_id", f"'{system}' as source_dataset"]
        for c in cols:
            src = mapping.get(c)
            sel.append(f"\"{src}\" as {c}" if src in header else f"NULL::VARCHAR as {c}")
        parts.append(f"select {', '.join(sel)} from read_csv('{path}', all_varchar=true, header=true)")
    if not parts:
        return 0
    clean = []
    for c in cols:
        expr = f"nullif(lower(trim({c})), '')"
        if c == "phone":
            expr = f"nullif(regexp_replace({c}, '[^0-9]', '', 'g'), '')"
        elif c == "domain":
            expr = f"nullif(regexp_replace(lower(trim({c})), '^(https?://)?(www\\.)?|/.*$', '', 'g'), '')"
        elif c == "dob":
            expr = f"nullif(trim({c}), '')"
        clean.append(f"{expr} as {c}")
    truth = os.path.join(seed, "truth.csv")
    exec_sql(con, f"""
        create or replace table {name} as
        with raw as ({' union all '.join(parts)})
        select r.unique_id, r.source_dataset, t.entity_id as truth_entity, {', '.join(clean)}
        from raw r
        join read_csv('{truth}', all_varchar=true, header=true) t
          on t.system || ':' || t.object || ':' || t.record_id = r.unique_id
    """)
    return con.execute(f"select count(*) from {name}").fetchall()[0][0]


def present(con, table, cols):
    out = set()
    for c in cols:
        if con.execute(f"select count({c}) from {table}").fetchall()[0][0] > 0:
            out.add(c)
    return out


def keep(items, have):
    """Items are (columns used, object); keep those whose columns the seed has."""
    return [obj for used, obj in items if set(used) <= have]


def person_profile(seed_name, have):
    if seed_name == "fake_1000":
        # accuracy_analysis_from_labels_column.nb.py
        return dict(
            link_type="dedupe_only",
            blocking=keep([(["first_name"], block_on("first_name")), (["surname"], block_on("surname")),
                           (["dob"], block_on("dob")), (["email"], block_on("email"))], have),
            comparisons=keep([
                (["first_name", "surname"], cl.ForenameSurnameComparison("first_name", "surname")),
                (["dob"], cl.DateOfBirthComparison("dob", input_is_string=True)),
                (["city"], cl.ExactMatch("city").configure(term_frequency_adjustments=True)),
                (["email"], cl.EmailComparison("email")),
            ], have),
            deterministic=keep([
                (["first_name", "dob"], "l.first_name = r.first_name and levenshtein(r.dob::VARCHAR, l.dob::VARCHAR) <= 1"),
                (["surname", "dob"], "l.surname = r.surname and levenshtein(r.dob::VARCHAR, l.dob::VARCHAR) <= 1"),
                (["first_name", "surname"], "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2"),
                (["email"], "l.email = r.email"),
            ], have),
            recall=0.7, u_pairs=1e6, u_seed=5,
            em=keep([(["dob"], block_on("dob")), (["email"], block_on("email")),
                     (["first_name", "surname"], block_on("first_name", "surname"))], have),
            source="accuracy_analysis_from_labels_column.nb.py")
    if seed_name.startswith("febrl4"):
        # febrl4.nb.py, detailed model, link only
        return dict(
            link_type="link_only",
            blocking=keep([
                (["first_name", "surname"], block_on("first_name", "surname")),
                (["first_name", "surname"], "l.first_name = r.surname and l.surname = r.first_name"),
                (["dob"], block_on("dob")),
                (["state", "address_1"], block_on("state", "address_1")),
                (["street_number", "address_1"], block_on("street_number", "address_1")),
                (["postcode"], block_on("postcode")),
            ], have),
            comparisons=keep([
                (["first_name"], cl.NameComparison("first_name").configure(term_frequency_adjustments=True)),
                (["surname"], cl.NameComparison("surname").configure(term_frequency_adjustments=True)),
                (["dob"], cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d",
                                                   invalid_dates_as_null=True)),
                (["street_number"], cl.ExactMatch("street_number").configure(term_frequency_adjustments=True)),
                (["postcode"], cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                    term_frequency_adjustments=True)),
            ], have),
            deterministic=keep([(["first_name", "surname", "dob"], block_on("first_name", "surname", "dob"))], have),
            recall=0.8, u_pairs=1e6, u_seed=None,
            em=keep([(["dob"], block_on("dob")), (["postcode"], block_on("postcode"))], have),
            source="febrl4.nb.py")
    if seed_name.startswith("febrl"):
        # febrl3.nb.py
        return dict(
            link_type="dedupe_only",
            blocking=keep([(["first_name"], block_on("first_name")), (["surname"], block_on("surname")),
                           (["dob"], block_on("dob")), (["postcode"], block_on("postcode"))], have),
            comparisons=keep([
                (["first_name"], cl.NameComparison("first_name")),
                (["surname"], cl.NameComparison("surname")),
                (["dob"], cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d")),
                (["street_number"], cl.ExactMatch("street_number").configure(term_frequency_adjustments=True)),
                (["postcode"], cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)),
            ], have),
            deterministic=keep([
                (["first_name", "surname", "dob"], block_on("first_name", "surname", "dob")),
                (["first_name", "surname", "dob"],
                 "l.first_name = r.surname and l.surname = r.first_name and l.dob = r.dob"),
            ], have),
            recall=0.9, u_pairs=1e6, u_seed=2,
            em=keep([(["dob"], block_on("dob")), (["postcode"], block_on("postcode"))], have),
            source="febrl3.nb.py")
    # Generated CRM people: deduplicate_50k_synthetic.nb.py (+ email, phone)
    return dict(
        link_type="dedupe_only",
        blocking=keep([
            (["first_name", "surname"], block_on("substr(first_name,1,3)", "substr(surname,1,4)")),
            (["surname", "dob"], block_on("surname", "dob")),
            (["first_name", "dob"], block_on("first_name", "dob")),
            (["postcode", "first_name"], block_on("postcode", "first_name")),
            (["postcode", "surname"], block_on("postcode", "surname")),
            (["dob", "city"], block_on("dob", "city")),
            (["postcode", "dob"], block_on("substr(postcode,1,3)", "dob")),
            (["first_name", "surname", "dob"],
             block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)")),
            (["email"], block_on("email")),
        ], have),
        comparisons=keep([
            (["first_name", "surname"], cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat")),
            (["dob"], cl.DateOfBirthComparison("dob", input_is_string=True)),
            (["postcode"], cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)),
            (["city"], cl.ExactMatch("city").configure(term_frequency_adjustments=True)),
            (["email"], cl.EmailComparison("email")),
            (["phone"], cl.ExactMatch("phone")),
        ], have),
        deterministic=keep([
            (["first_name", "surname", "dob"], block_on("first_name", "surname", "dob")),
            (["first_name", "surname", "postcode"],
             block_on("substr(first_name,1,2)", "surname", "substr(postcode,1,2)")),
            (["dob", "postcode"], block_on("dob", "postcode")),
            (["email"], block_on("email")),
        ], have),
        recall=0.6, u_pairs=1e7, u_seed=1,
        em=keep([(["first_name", "surname"], block_on("first_name", "surname")), (["dob"], block_on("dob"))], have),
        concat_name=True,
        source="deduplicate_50k_synthetic.nb.py + accuracy_analysis_from_labels_column.nb.py (email)")


def company_profile(seed_name, have):
    return dict(
        link_type="dedupe_only",
        blocking=keep([
            (["name"], block_on("substr(name,1,5)")),
            (["phone"], block_on("phone")),
            (["address"], block_on("substr(address,1,8)")),
            (["domain"], block_on("domain")),
        ], have),
        comparisons=keep([
            (["name"], cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.7]).configure(
                term_frequency_adjustments=True)),
            (["address"], cl.JaroWinklerAtThresholds("address", [0.95, 0.88, 0.7])),
            (["city"], cl.ExactMatch("city").configure(term_frequency_adjustments=True)),
            (["postcode"], cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)),
            (["phone"], cl.ExactMatch("phone")),
            (["domain"], cl.ExactMatch("domain").configure(term_frequency_adjustments=True)),
        ], have),
        deterministic=keep([
            (["name", "phone"], block_on("name", "phone")),
            (["name", "address"], block_on("name", "address")),
            (["domain", "name"], block_on("domain", "substr(name,1,5)")),
        ], have),
        recall=0.7, u_pairs=1e7, u_seed=1,
        em=keep([(["phone"], block_on("phone")), (["name"], block_on("substr(name,1,5)")),
                 (["address"], block_on("substr(address,1,8)"))], have),
        source="comparison library (no organisation example in Splink's docs)")


def score(con, clusters_table, table):
    """Pairwise precision/recall/F1: a predicted pair shares a cluster, a true
    pair shares truth_entity (the definition crmhub's quality package uses)."""
    row = con.execute(f"""
        with j as (
            select c.cluster_id, t.truth_entity from {clusters_table} c join {table} t using (unique_id)
        ),
        pred as (select count(*) n from j group by cluster_id),
        tru as (select count(*) n from j group by truth_entity),
        hit as (select count(*) n from j group by cluster_id, truth_entity)
        select (select coalesce(sum(n*(n-1)/2), 0) from pred),
               (select coalesce(sum(n*(n-1)/2), 0) from tru),
               (select coalesce(sum(n*(n-1)/2), 0) from hit),
               (select count(*) from j)
    """).fetchall()[0]
    predicted, true, correct, n = (int(x) for x in row)
    p = correct / predicted if predicted else 0.0
    r = correct / true if true else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return dict(records=n, predicted_pairs=predicted, true_pairs=true, correct_pairs=correct,
                precision=p, recall=r, f1=f1)


def run_entity(con, seed, entity, table, cols, threads):
    have = present(con, table, cols)
    seed_name = os.path.basename(os.path.normpath(seed))
    if entity == "person":
        if "address" in have:
            # febrl4's blocking rules and febrl comparisons use street_number and address_1
            exec_sql(con, f"""create or replace table {table} as select *,
                nullif(regexp_extract(address, '^([0-9]+)', 1), '') as street_number,
                nullif(trim(regexp_replace(address, '^[0-9]+[a-z]?\\s*', '')), '') as address_1
                from {table}""")
            have |= present(con, table, ["street_number", "address_1"])
        prof = person_profile(seed_name, have)
    else:
        prof = company_profile(seed_name, have)
    if prof.get("concat_name"):
        exec_sql(con, f"create or replace table {table} as select *, "
                    f"first_name || ' ' || surname as first_name_surname_concat from {table}")

    stage(f"{entity}: register and train")
    t0 = time.perf_counter()
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type=prof["link_type"],
        blocking_rules_to_generate_predictions=prof["blocking"],
        comparisons=prof["comparisons"],
        retain_intermediate_calculation_columns=False,
    )
    if prof["link_type"] == "link_only":
        inputs = [db_api.register(con.sql(f"select * from {table} where source_dataset = '{s}'"),
                                  dataset_display_name=s) for s in ("hubspot", "salesforce")]
    else:
        inputs = db_api.register(con.sql(f"select * from {table}"))
    linker = Linker(inputs, settings)
    linker.training.estimate_probability_two_random_records_match(prof["deterministic"], recall=prof["recall"])
    kw = {"max_pairs": prof["u_pairs"]}
    if prof["u_seed"] is not None:
        kw["seed"] = prof["u_seed"]
    stage(f"{entity}: estimate_u_using_random_sampling")
    linker.training.estimate_u_using_random_sampling(**kw)
    for rule in prof["em"]:
        stage(f"{entity}: expectation maximisation")
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    t_trained = time.perf_counter()
    stage(f"{entity}: predict")
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    stage(f"{entity}: cluster at {THRESHOLD}")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD)
    exec_sql(con, f"create or replace table splink_clusters as select unique_id, cluster_id from {clusters.physical_name}")
    t1 = time.perf_counter()
    out = dict(tool="splink", entity=entity, seed=seed_name, profile=prof["source"], link_type=prof["link_type"],
               matching_seconds=t1 - t0, training_seconds=t_trained - t0, predict_cluster_seconds=t1 - t_trained,
               comparisons=len(prof["comparisons"]), blocking_rules=len(prof["blocking"]), threads=threads)
    stage(f"{entity}: score")
    out.update(score(con, "splink_clusters", table))
    # Splink's own examples often cluster at 0.95; reported beside the 0.5 contract.
    stage(f"{entity}: cluster at 0.95")
    strict = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.95)
    exec_sql(con, f"create or replace table splink_clusters_95 as select unique_id, cluster_id from {strict.physical_name}")
    s95 = score(con, "splink_clusters_95", table)
    out.update(precision_at_095=s95["precision"], recall_at_095=s95["recall"], f1_at_095=s95["f1"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seed")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--entities", default="person,company", help="which entities to match (person, company)")
    ap.add_argument("--memory-limit", default="",
                    help="DuckDB memory_limit (e.g. 14GB); empty keeps DuckDB's default, 80%% of RAM")
    args = ap.parse_args()
    con = duckdb.connect()
    if args.memory_limit:
        exec_sql(con, f"set memory_limit = '{args.memory_limit}'")
    # An in-memory DuckDB spills to ./.tmp by default; keep it out of the
    # source tree. DuckDB's memory_limit stays at its default (80% of RAM),
    # as in Splink's examples.
    exec_sql(con, f"set temp_directory = '{os.path.abspath(os.path.join('.cache', 'peers', 'splink-tmp'))}'")
    if args.threads:
        exec_sql(con, f"set threads = {args.threads}")
    threads = con.execute("select current_setting('threads')").fetchall()[0][0]
    person_cols = ["first_name", "surname", "dob", "address", "city", "state", "postcode", "email", "phone"]
    company_cols = ["name", "address", "city", "postcode", "phone", "domain"]
    # Splink logs its own progress (blocking, EM iterations) at INFO.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    # People first: the documented profile (Splink's person examples) and
    # the comparison's main subject; the organisation profile is ours.
    for entity, sources, cols, table in (("person", PERSON_SOURCES, person_cols, "persons"),
                                         ("company", COMPANY_SOURCES, company_cols, "companies")):
        if entity not in args.entities.split(","):
            continue
        stage(f"{entity}: read the seed")
        n = build_table(con, args.seed, sources, cols, table)
        if n < 2:
            continue
        result = run_entity(con, args.seed, entity, table, cols, threads)
        result["duckdb_memory_limit"] = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
        print(json.dumps(result), flush=True)
        stage(f"{entity}: done")


if __name__ == "__main__":
    sys.exit(main())
