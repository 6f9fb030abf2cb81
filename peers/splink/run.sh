#!/usr/bin/env bash
# crmhub and Splink side by side on every seed in ../shared/datasets, same
# machine, same run; writes peers/report.md and peers/report.json.
#
#   bash peers/splink/run.sh                          # the benchmark seeds
#   bash peers/splink/run.sh --people 1000000         # plus generated data, N people per system
#   bash peers/splink/run.sh --people 100000,300000 --no-seeds --append
#                                                     # more sizes, keeping the report's other rows
#   bash peers/splink/run.sh --people 1000000 --no-seeds --append --entities person
#                                                     # people only (Splink's company EM spills
#                                                     # past 45 GB of disk at 1M)
#
# At 200k people and more, run it under the machine's heavy-run lock:
#   flock /work/.heavy.lock bash peers/splink/run.sh --people 1000000
#
# Installs pinned Splink (DuckDB backend) into .cache/venv-splink; builds
# peers/crmhubscore. Not part of go test or .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."

people=""
gen_seed=1
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --people) people="$2"; shift 2 ;;
    --seed) gen_seed="$2"; shift 2 ;;
    --append|--no-seeds|--crmhub-matching-only) pass+=("$1"); shift ;;
    --splink-timeout|--splink-memory-limit|--tools|--entities) pass+=("$1" "$2"); shift 2 ;;
    *) echo "usage: $0 [--people N[,N...]] [--seed S] [--no-seeds] [--append] [--tools crmhub,splink]" \
         "[--crmhub-matching-only] [--splink-memory-limit 14GB] [--splink-timeout SECONDS] [--entities person,company]" >&2; exit 2 ;;
  esac
done

venv=.cache/venv-splink
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r peers/splink/requirements.txt

mkdir -p .cache/bin .cache/peers
go build -o .cache/bin/crmhubscore ./peers/crmhubscore
go build -o .cache/bin/crmhub ./cmd/crmhub

extra=()
if [ -n "$people" ]; then
  for n in ${people//,/ }; do
    dir=".cache/peers/gen-$n-seed$gen_seed"
    if [ ! -f "$dir/truth.csv" ]; then
      echo "generating $n people per system into $dir ..." >&2
      .cache/bin/crmhub gen --people "$n" --seed "$gen_seed" --out "$dir"
    fi
    extra+=(--seed-dir "$dir")
  done
fi

echo "start: $(uptime)" >&2
"$venv/bin/python" peers/splink/compare.py --crmhub .cache/bin/crmhubscore --datasets ../shared/datasets \
  "${extra[@]}" "${pass[@]}"
echo "end: $(uptime)" >&2
