"""Side by side: crmhub and Splink on the same seeds, same machine, one run.

    python peers/splink/compare.py --crmhub BIN [--datasets DIR] [--seed-dir DIR ...] [--out-dir peers]

For every seed directory with a truth.csv it runs, each in its own process
so that peak memory is that tool's alone:
  - crmhub:  BIN SEED (peers/crmhubscore: extract from the seed files + every
    SQL model, dry run; matching time = the normalise/block/score/cluster
    models of the entity)
  - Splink:  peers/splink/splink_seed.py SEED (matching time = register the
    table, train (u sampling + EM), predict, cluster at 0.5)
and writes report.json and report.md with pairwise precision, recall, F1,
matching time, process wall time and peak RSS per seed, entity and tool,
plus the ratios crmhub / Splink.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_measured(cmd, log):
    """Runs cmd; returns (stdout, wall seconds, peak RSS in MiB) of that process alone."""
    start = time.perf_counter()
    with open(log, "w") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}; see {log}")
    return out, wall, usage.ru_maxrss / 1024.0  # Linux: KiB


def seeds_in(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        d = os.path.join(folder, name)
        if os.path.isfile(os.path.join(d, "truth.csv")):
            out.append(d)
    return out


def ratio(a, b):
    return a / b if b else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crmhub", required=True, help="crmhubscore binary (go build ./peers/crmhubscore)")
    ap.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets"))
    ap.add_argument("--seed-dir", action="append", default=[], help="extra seed directory (e.g. crmhub gen output)")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "peers"))
    ap.add_argument("--log-dir", default=os.path.join(ROOT, ".cache", "peers", "logs"))
    args = ap.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)

    seeds = seeds_in(args.datasets) + [os.path.abspath(s) for s in args.seed_dir]
    rows = []
    for seed in seeds:
        name = os.path.basename(os.path.normpath(seed))
        print(f"== {name}", file=sys.stderr, flush=True)
        out, wall, rss = run_measured([args.crmhub, seed], os.path.join(args.log_dir, f"{name}.crmhub.log"))
        ch = json.loads(out)
        crm = {e["entity"]: dict(e, wall_seconds=wall, peak_rss_mib=rss, records_in_seed=ch["records"])
               for e in ch["entities"]}
        print(f"   crmhub  {wall:7.1f}s {rss:8.0f} MiB", file=sys.stderr, flush=True)
        out, wall, rss = run_measured([sys.executable, os.path.join(HERE, "splink_seed.py"), seed],
                                      os.path.join(args.log_dir, f"{name}.splink.log"))
        spl = {}
        for line in out.splitlines():
            if line.strip():
                d = json.loads(line)
                spl[d["entity"]] = dict(d, wall_seconds=wall, peak_rss_mib=rss)
        print(f"   splink  {wall:7.1f}s {rss:8.0f} MiB", file=sys.stderr, flush=True)
        for entity in sorted(set(crm) & set(spl)):
            c, s = crm[entity], spl[entity]
            rows.append({
                "seed": name, "entity": entity, "records": s["records"], "true_pairs": s["true_pairs"],
                "crmhub": {k: c[k] for k in ("precision", "recall", "f1", "predicted_pairs", "correct_pairs",
                                             "matching_seconds", "wall_seconds", "peak_rss_mib")},
                "splink": {k: s[k] for k in ("precision", "recall", "f1", "predicted_pairs", "correct_pairs",
                                             "matching_seconds", "training_seconds", "predict_cluster_seconds",
                                             "wall_seconds", "peak_rss_mib", "profile", "link_type",
                                             "precision_at_095", "recall_at_095", "f1_at_095")},
                "ratio_crmhub_over_splink": {
                    "f1": ratio(c["f1"], s["f1"]),
                    "matching_seconds": ratio(c["matching_seconds"], s["matching_seconds"]),
                    "wall_seconds": ratio(c["wall_seconds"], s["wall_seconds"]),
                    "peak_rss": ratio(c["peak_rss_mib"], s["peak_rss_mib"]),
                },
            })

    env = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "splink": metadata.version("splink"),
        "duckdb_python": metadata.version("duckdb"),
        "crmhub_commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                        text=True).stdout.strip(),
        "threshold_match_probability": 0.5,
    }
    report = {"environment": env, "rows": rows}
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out_dir, "report.md"), "w") as f:
        f.write(markdown(report))
    print(markdown(report))


def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def markdown(report):
    env, rows = report["environment"], report["rows"]
    lines = [
        "# crmhub and Splink side by side",
        "",
        f"Generated by `peers/splink/run.sh` on {env['date']}: {env['machine']}, Python {env['python']}, "
        f"Splink {env['splink']} (DuckDB {env['duckdb_python']}), crmhub at {env['crmhub_commit']} "
        "(plus the working tree). Both tools ran on the same seed files, one process per tool and seed.",
        "",
        "Pairwise scores over all records of the entity: a true pair shares an entity in truth.csv, a predicted "
        "pair shares a crmhub golden_id / a Splink cluster (connected components at match probability 0.5). "
        "Matching time: crmhub's normalise, block, score and cluster models for the entity; Splink's table "
        "registration, training (u sampling + EM), prediction and clustering. Wall: the whole process (reading "
        "the seed, and for crmhub every other model too). Peak RSS: the process's maximum resident set.",
        "",
        "| seed | entity | records | tool | precision | recall | F1 | matching s | wall s | peak MiB |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        for tool in ("crmhub", "splink"):
            t = r[tool]
            lines.append(f"| {r['seed']} | {r['entity']} | {r['records']:,} | {tool} | {t['precision']:.4f} | "
                         f"{t['recall']:.4f} | {t['f1']:.4f} | {t['matching_seconds']:.2f} | {t['wall_seconds']:.2f} | "
                         f"{t['peak_rss_mib']:.0f} |")
    lines += ["", "Splink clustered at match probability 0.95 instead (the threshold several of its examples use; "
              "not the comparison's contract, shown so that 0.5 is not read as a strawman):", "",
              "| seed | entity | precision | recall | F1 |", "|---|---|---:|---:|---:|"]
    for r in rows:
        t = r["splink"]
        lines.append(f"| {r['seed']} | {r['entity']} | {t['precision_at_095']:.4f} | {t['recall_at_095']:.4f} | "
                     f"{t['f1_at_095']:.4f} |")
    lines += ["", "Ratios crmhub / Splink (F1 above 1: crmhub better; time and memory below 1: crmhub better):", "",
              "| seed | entity | F1 | matching time | wall time | peak memory |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        q = r["ratio_crmhub_over_splink"]
        lines.append(f"| {r['seed']} | {r['entity']} | {fmt(q['f1'], '.3f')} | {fmt(q['matching_seconds'], '.2f')} | "
                     f"{fmt(q['wall_seconds'], '.2f')} | {fmt(q['peak_rss'], '.2f')} |")
    lines += ["", "Splink configuration per seed (example notebook it follows; see docs/peers.md):", ""]
    seen = set()
    for r in rows:
        key = (r["seed"], r["entity"])
        if key in seen:
            continue
        seen.add(key)
        lines.append(f"- {r['seed']} ({r['entity']}, {r['splink']['link_type']}): {r['splink']['profile']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
