#!/usr/bin/env bash
# The power-limit targets of issue 5, in one run: leave-one-GPU-out over the Zeus sweeps
# (V100, A40) at eta 0.5 and with --max-slowdown 5%, plus the same with 2% measurement noise.
# Usage: bench/power_eval.sh [GPUOPT_BINARY]   (default: build/gpuopt; data from $GPUOPT_DATA_DIR)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
gpuopt="${1:-$here/build/gpuopt}"
data="${GPUOPT_DATA_DIR:-$here/../shared/data}/power/zeus-nsdi23"
sweeps=("$data/summary_power_v100.csv" "$data/summary_power_a40.csv")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$gpuopt" --quiet power eval --data "${sweeps[@]}" --eta 0.5 --json > "$work/cost.json"
"$gpuopt" --quiet power eval --data "${sweeps[@]}" --max-slowdown 5% --json > "$work/bound.json"
"$gpuopt" --quiet power eval --data "${sweeps[@]}" --eta 0.5 --noise 0.02 --json > "$work/cost_noise.json"
"$gpuopt" --quiet power eval --data "${sweeps[@]}" --max-slowdown 5% --noise 0.02 --json > "$work/bound_noise.json"

/usr/bin/python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]

def load(name):
    return json.load(open(f"{work}/{name}.json"))

def summary(run, optimizer):
    return next(s for s in run["summary"] if s["optimizer"] == optimizer)

def report(label, cost, bound):
    g, z = summary(cost, "gpuopt"), summary(cost, "zeus-sweep")
    probe_ratio = g["median_probe_s"] / z["median_probe_s"]
    print(f"== {label}")
    print(f"eta 0.5: gpuopt median cost vs oracle {g['median_cost_vs_oracle']:.4f} (target <= 1.01: "
          f"{'met' if g['median_cost_vs_oracle'] <= 1.01 else 'NOT met'}), zeus-sweep {z['median_cost_vs_oracle']:.4f} "
          f"(gpuopt better: {'yes' if g['median_cost_vs_oracle'] < z['median_cost_vs_oracle'] else 'NO'})")
    print(f"eta 0.5: median probe time gpuopt {g['median_probe_s']:.1f} s, zeus-sweep {z['median_probe_s']:.1f} s, "
          f"ratio {probe_ratio:.3f} (target <= 0.333: {'met' if probe_ratio <= 1 / 3 else 'NOT met'})")
    over = [r for r in bound["results"] if r["optimizer"] == "gpuopt" and r["slowdown"] > 0.05 + 1e-9]
    zeus_over = [r for r in bound["results"] if r["optimizer"] == "zeus-sweep" and r["slowdown"] > 0.05 + 1e-9]
    gs, os_ = summary(bound, "gpuopt")["median_energy_saving"], summary(bound, "oracle")["median_energy_saving"]
    print(f"max-slowdown 5%: gpuopt jobs over the bound {len(over)} (zeus-sweep {len(zeus_over)}); median energy "
          f"saving gpuopt {100 * gs:.1f}% vs oracle {100 * os_:.1f}% = {gs / os_:.2f} of the oracle's (target >= 0.80: "
          f"{'met' if not over and gs >= 0.8 * os_ else 'NOT met'})")
    for s in cost["summary"]:
        print(f"   {s['optimizer']:<11} cost/oracle {s['median_cost_vs_oracle']:.4f}  saving "
              f"{100 * s['median_energy_saving']:5.1f}%  probe {s['median_probe_s']:7.1f} s")

report("no measurement noise (the measured sweeps as truth)", load("cost"), load("bound"))
report("2% measurement noise per 40-iteration window", load("cost_noise"), load("bound_noise"))
PY
