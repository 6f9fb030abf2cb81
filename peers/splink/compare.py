"""Side by side: crmhub and Splink on the same seeds, same machine, one run.

    python peers/splink/compare.py --crmhub BIN [--datasets DIR] [--seed-dir DIR ...] [--no-seeds]
                                   [--append] [--entities person,company] [--splink-timeout S] [--out-dir peers]

For every seed directory with a truth.csv it runs, each in its own process
so that peak memory is that tool's alone:
  - crmhub:  BIN SEED (peers/crmhubscore: extract from the seed files + every
    SQL model, dry run; matching time = the normalise/block/score/cluster
    models of the entity)
  - Splink:  peers/splink/splink_seed.py SEED (matching time = register the
    table, train (u sampling + EM), predict, cluster at 0.5)
and writes report.json and report.md (after every dataset, so a run stopped
later keeps what it measured) with pairwise precision, recall, F1, matching
time, process wall time, peak RSS and the load average before and after
each process, per seed, entity and tool, plus the ratios crmhub / Splink.
The two tools never run at the same time. Splink's process is stopped after
--splink-timeout seconds; a run that does not finish is reported with its
status, time, peak memory and the last progress line of its log.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_measured(cmd, log, timeout=None):
    """Runs cmd with stderr to log; returns a dict with its stdout, wall
    seconds, peak RSS in MiB (of that process alone, from wait4), the load
    averages before and after, and its status: "ok", "failed" (exit code) or
    "timeout" (killed after timeout seconds)."""
    load0 = os.getloadavg()
    start = time.perf_counter()
    status = "ok"
    with open(log, "w") as err, tempfile.TemporaryFile(mode="w+") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        while True:
            pid, st, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if timeout and time.perf_counter() - start > timeout:
                p.kill()
                _, st, usage = os.wait4(p.pid, 0)
                status = "timeout"
                break
            time.sleep(0.2)
        p.returncode = os.waitstatus_to_exitcode(st)
        out.seek(0)
        stdout = out.read()
    wall = time.perf_counter() - start
    if status == "ok" and p.returncode != 0:
        status = "failed"
    return dict(stdout=stdout, wall=wall, rss=usage.ru_maxrss / 1024.0,  # Linux: KiB
                load_before=[round(x, 2) for x in load0], load_after=[round(x, 2) for x in os.getloadavg()],
                status=status, exit_code=p.returncode, log=log)


def last_stage(log):
    """The last progress line a tool wrote to its log (splink_seed.py writes
    "stage ..." lines, crmhubscore the cycle's steps and each finished model),
    to say where a failed run stopped."""
    last = ""
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if (line.startswith("stage ") or "step started" in line or "msg=model " in line
                        or "crmhubscore:" in line):
                    last = line.strip()
    except OSError:
        pass
    return last


def seeds_in(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        d = os.path.join(folder, name)
        if os.path.isfile(os.path.join(d, "truth.csv")):
            out.append(d)
    return out


def ratio(a, b):
    return a / b if b else None


CRMHUB_KEYS = ("precision", "recall", "f1", "predicted_pairs", "correct_pairs", "matching_seconds")
SPLINK_KEYS = ("precision", "recall", "f1", "predicted_pairs", "correct_pairs", "matching_seconds",
               "training_seconds", "predict_cluster_seconds", "profile", "link_type", "duckdb_memory_limit",
               "precision_at_095", "recall_at_095", "f1_at_095")


# the models crmhubscore's matching_seconds adds up per entity (peers/crmhubscore)
MATCHING_MODELS = {
    "person": ("stg_persons", "person_candidates", "person_pairs", "person_clusters"),
    "company": ("stg_companies", "company_candidates", "company_pairs", "company_clusters"),
}


def process_fields(m):
    return {"wall_seconds": m["wall"], "peak_rss_mib": m["rss"], "load_before": m["load_before"],
            "load_after": m["load_after"], "status": m["status"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crmhub", required=True, help="crmhubscore binary (go build ./peers/crmhubscore)")
    ap.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets"))
    ap.add_argument("--seed-dir", action="append", default=[], help="extra seed directory (e.g. crmhub gen output)")
    ap.add_argument("--no-seeds", action="store_true", help="only the --seed-dir directories")
    ap.add_argument("--append", action="store_true",
                    help="keep the rows of report.json for datasets not run this time")
    ap.add_argument("--tools", default="crmhub,splink",
                    help="which tools to run; with --append a tool not run keeps its figures from report.json")
    ap.add_argument("--crmhub-matching-only", action="store_true",
                    help="crmhubscore -matching-only: only the matching models (stand-ins for golden, outbox, reports)")
    ap.add_argument("--splink-memory-limit", default="",
                    help="DuckDB memory_limit for Splink (default: DuckDB's own, 80%% of RAM)")
    ap.add_argument("--splink-timeout", type=float, default=3600,
                    help="seconds after which Splink's process is stopped and reported as such")
    ap.add_argument("--work-dir", default=os.path.join(ROOT, ".cache", "peers", "work"),
                    help="crmhub's lake and DuckDB spill directory")
    ap.add_argument("--entities", default="person,company",
                    help="entities to compare (person, company); with --append the others keep their rows. "
                         "At 1M Splink's company EM spills past 45 GB of disk: --entities person compares people alone")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "peers"))
    ap.add_argument("--log-dir", default=os.path.join(ROOT, ".cache", "peers", "logs"))
    args = ap.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)
    os.makedirs(args.work_dir, exist_ok=True)

    seeds = ([] if args.no_seeds else seeds_in(args.datasets)) + [os.path.abspath(s) for s in args.seed_dir]
    tools = set(args.tools.split(","))
    wanted = set(args.entities.split(","))
    old = {}
    path = os.path.join(args.out_dir, "report.json")
    if args.append and os.path.exists(path):
        with open(path) as f:
            old = {(r["seed"], r["entity"]): r for r in json.load(f).get("rows", [])}
    rows = []
    for seed in seeds:
        name = os.path.basename(os.path.normpath(seed))
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        print(f"== {name} {when} load {os.getloadavg()}", file=sys.stderr, flush=True)
        crm, spl, crm_proc, spl_proc = {}, {}, None, None
        if "crmhub" in tools:
            cmd = [args.crmhub, "-work-dir", args.work_dir] + (["-matching-only"] if args.crmhub_matching_only else [])
            m = run_measured(cmd + [seed], os.path.join(args.log_dir, f"{name}.crmhub.log"))
            if m["status"] == "ok":
                ch = json.loads(m["stdout"])
                crm = {e["entity"]: dict({k: e[k] for k in CRMHUB_KEYS}, records=e["records"],
                                         true_pairs=e["true_pairs"], mode=ch.get("mode"), engine=ch.get("engine"),
                                         step_seconds=ch.get("step_seconds"), cpu_seconds=ch.get("cpu_seconds"),
                                         # the seconds of each model matching_seconds adds up
                                         model_seconds={k: v for k, v in (ch.get("model_seconds") or {}).items()
                                                        if k in MATCHING_MODELS.get(e["entity"], ())},
                                         measured_at=when, **process_fields(m))
                       for e in ch["entities"]}
            crm_proc = dict(process_fields(m), measured_at=when,
                            stage=last_stage(m["log"]) if m["status"] != "ok" else None)
            print(f"   crmhub  {m['wall']:7.1f}s {m['rss']:8.0f} MiB {m['status']}", file=sys.stderr, flush=True)
        if "splink" in tools:
            swhen = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            extra = ["--memory-limit", args.splink_memory_limit] if args.splink_memory_limit else []
            extra += ["--entities", args.entities]
            m = run_measured([sys.executable, os.path.join(HERE, "splink_seed.py"), seed] + extra,
                             os.path.join(args.log_dir, f"{name}.splink.log"), timeout=args.splink_timeout)
            for line in m["stdout"].splitlines():
                if line.strip():
                    d = json.loads(line)
                    spl[d["entity"]] = dict({k: d[k] for k in SPLINK_KEYS}, records=d["records"],
                                            true_pairs=d["true_pairs"], measured_at=swhen, **process_fields(m))
            spl_proc = dict(process_fields(m), measured_at=swhen,
                            stage=last_stage(m["log"]) if m["status"] != "ok" else None)
            print(f"   splink  {m['wall']:7.1f}s {m['rss']:8.0f} MiB {m['status']}", file=sys.stderr, flush=True)
        prev = {e: r for (sd, e), r in old.items() if sd == name}
        entities = set(crm) | set(spl) | set(prev) or {"company", "person"}  # neither finished: still a row
        for entity in sorted(entities & wanted):
            # (deal is never wanted: Splink has no deal profile; crmhub's deal
            # scores are in its own reports)
            c = crm.get(entity) or (dict(crm_proc) if crm_proc else prev.get(entity, {}).get("crmhub"))
            s = spl.get(entity) or (dict(spl_proc) if spl_proc else prev.get(entity, {}).get("splink"))
            if c is None or s is None:
                continue
            ref = crm.get(entity) or spl.get(entity) or prev.get(entity) or {"records": 0, "true_pairs": 0}
            both = "f1" in c and "f1" in s
            rows.append({
                "seed": name, "entity": entity, "records": ref["records"], "true_pairs": ref["true_pairs"],
                "measured_at": when, "crmhub": c, "splink": s,
                "ratio_crmhub_over_splink": {
                    "f1": ratio(c["f1"], s["f1"]) if both else None,
                    "matching_seconds": ratio(c["matching_seconds"], s["matching_seconds"]) if both else None,
                    "wall_seconds": ratio(c["wall_seconds"], s["wall_seconds"]) if both else None,
                    "peak_rss": ratio(c["peak_rss_mib"], s["peak_rss_mib"]) if both else None,
                },
            })
        write(args, rows)  # after every dataset: a run stopped later keeps what it measured

    print(markdown(write(args, rows)))


def write(args, rows):
    rows = list(rows)
    path = os.path.join(args.out_dir, "report.json")
    if args.append and os.path.exists(path):
        with open(path) as f:
            old = json.load(f).get("rows", [])
        # a seed run this time replaces its rows of the entities compared
        ran = {r["seed"] for r in rows}
        wanted = set(args.entities.split(","))
        rows = [r for r in old if r["seed"] not in ran or r["entity"] not in wanted] + rows
    rows.sort(key=lambda r: (r["seed"].startswith("gen-"), gen_size(r["seed"]), r["seed"], r["entity"]))
    env = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "splink": metadata.version("splink"),
        "duckdb_python": metadata.version("duckdb"),
        "crmhub_commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                        text=True).stdout.strip(),
        "threshold_match_probability": 0.5,
        "splink_timeout_seconds": args.splink_timeout,
    }
    report = {"environment": env, "rows": rows}
    os.makedirs(args.out_dir, exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out_dir, "report.md"), "w") as f:
        f.write(markdown(report))
    return report


def gen_size(name):
    """gen-1000000-seed1 -> 1000000; 0 for the seeds."""
    parts = name.split("-")
    return int(parts[1]) if len(parts) > 2 and parts[0] == "gen" and parts[1].isdigit() else 0


def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def load(t):
    lb, la = t.get("load_before"), t.get("load_after")
    return f"{lb[0]:.1f} → {la[0]:.1f}" if lb and la else "–"


def markdown(report):
    env, rows = report["environment"], report["rows"]
    lines = [
        "# crmhub and Splink side by side",
        "",
        f"Generated by `peers/splink/run.sh` on {env['date']}: {env['machine']}, Python {env['python']}, "
        f"Splink {env['splink']} (DuckDB {env['duckdb_python']}), crmhub at {env['crmhub_commit']} "
        "(plus the working tree). Both tools ran on the same seed files, one process per tool and seed, one "
        "after the other (never concurrently); each row says when it was measured.",
        "",
        "Pairwise scores over all records of the entity: a true pair shares an entity in truth.csv, a predicted "
        "pair shares a crmhub golden_id / a Splink cluster (connected components at match probability 0.5). "
        "Matching time: crmhub's normalise, block, score and cluster models for the entity (DuckDB memory_limit "
        "from the engine section's default, 5GB); Splink's table registration, training (u sampling + EM), "
        "prediction and clustering. Wall: the whole process (reading the seed, and for crmhub every other model "
        "too: golden records, outbox, reports; one process covers a seed's people and companies). Peak RSS: the "
        "process's maximum resident set (wait4). Load: the machine's 1-minute load average when the process "
        "started → ended (2 CPUs; above 2 the machine was shared). crmhub (matching only): `crmhubscore "
        "-matching-only`, only the matching models with stand-ins for the published tables, so its wall and peak "
        "are matching's alone.",
        "",
        "| seed | entity | records | tool | precision | recall | F1 | matching s | wall s | peak MiB | load | measured |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        for tool in ("crmhub", "splink"):
            t = r[tool]
            label = tool + (" (matching only)" if t.get("mode") == "matching only" else "")
            if "f1" in t:
                lines.append(f"| {r['seed']} | {r['entity']} | {r['records']:,} | {label} | {t['precision']:.4f} | "
                             f"{t['recall']:.4f} | {t['f1']:.4f} | {t['matching_seconds']:.2f} | "
                             f"{t['wall_seconds']:.2f} | {t['peak_rss_mib']:.0f} | {load(t)} | "
                             f"{t.get('measured_at', r.get('measured_at', ''))} |")
            else:
                lines.append(f"| {r['seed']} | {r['entity']} | {r['records']:,} | {label} | **{t['status']}** | – | – | "
                             f"– | {t['wall_seconds']:.2f} | {t['peak_rss_mib']:.0f} | {load(t)} | "
                             f"{t.get('measured_at', r.get('measured_at', ''))} |")
    failed = [(r, tool) for r in rows for tool in ("crmhub", "splink") if "f1" not in r[tool]]
    if failed:
        lines += ["", "Runs that did not finish (status, wall time and peak memory of the process when it stopped, "
                  "and the last progress line of its log):", ""]
        for r, tool in failed:
            t = r[tool]
            lines.append(f"- {r['seed']} {r['entity']}, {tool}: {t['status']} after {t['wall_seconds']:.0f} s at "
                         f"{t['peak_rss_mib']:.0f} MiB peak; last stage: `{t.get('stage') or '?'}`")
    lines += ["", "Splink clustered at match probability 0.95 instead (the threshold several of its examples use; "
              "not the comparison's contract, shown so that 0.5 is not read as a strawman):", "",
              "| seed | entity | precision | recall | F1 |", "|---|---|---:|---:|---:|"]
    for r in rows:
        t = r["splink"]
        if "f1_at_095" in t:
            lines.append(f"| {r['seed']} | {r['entity']} | {t['precision_at_095']:.4f} | {t['recall_at_095']:.4f} | "
                         f"{t['f1_at_095']:.4f} |")
    lines += ["", "Ratios crmhub / Splink (F1 above 1: crmhub better; time and memory below 1: crmhub better):", "",
              "| seed | entity | F1 | matching time | wall time | peak memory |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        q = r["ratio_crmhub_over_splink"]
        f1 = fmt(q['f1'], '.3f')
        if q['f1'] is not None and q['f1'] > 100:
            # a ratio over a near-zero F1 says nothing but "Splink found no clusters worth the name"
            f1 = f"≫ 1 (Splink F1 {r['splink']['f1']:.4f})"
        lines.append(f"| {r['seed']} | {r['entity']} | {f1} | {fmt(q['matching_seconds'], '.2f')} | "
                     f"{fmt(q['wall_seconds'], '.2f')} | {fmt(q['peak_rss'], '.2f')} |")
    lines += ["", "Splink configuration per seed (example notebook it follows; see docs/peers.md):", ""]
    seen = set()
    for r in rows:
        key = (r["seed"], r["entity"])
        if key in seen or "profile" not in r["splink"]:
            continue
        seen.add(key)
        lines.append(f"- {r['seed']} ({r['entity']}, {r['splink']['link_type']}): {r['splink']['profile']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
