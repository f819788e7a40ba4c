#!/usr/bin/env python3
"""Where a memory model's held-out error comes from, read from `gpuopt mem eval --predictions`.

usage: memory_error_sources.py PREDICTIONS.csv [--top N]

For each model in the file (scored rows only, predictions capped at the card's memory as the
eval table scores them) it prints:
  * RMSE, R^2 and MAPE over all scored rows, and over the rows of models whose measured peak is
    *flat*: it grows by less than 10 % while the batch size grows 4x or more. Peak memory is
    linear in batch size with a slope of 0.4-1.1x the layer outputs (shared/data README), so a
    flat model is a contaminated measurement that no predictor can match from the task alone;
  * the families holding the largest share of the squared error, with their MAPE.

Reproduce the figures in bench/README.md ("Where the error comes from") with
  gpuopt mem eval --data ../shared/data/memory/timm_a100.jsonl --split family-kfold:5 \\
      --models seq:bigru-transformer,tree:xgboost --predictions pred.csv
  bench/memory_error_sources.py pred.csv
"""
import argparse
import collections
import csv
import math
import sys

CARD_MIB_DEFAULT = 40960.0
FLAT_GROWTH = 1.10  # measured peak at the largest batch / at the smallest, below which a model is flat
FLAT_BATCH_RATIO = 4  # ... when the batch sizes are at least this far apart


def model_name(task_id):
    parts = task_id.split("/")
    return "/".join(parts[:-1]) if len(parts) > 1 else task_id


def flat_models(rows):
    by_model = collections.defaultdict(list)
    for r in rows:
        by_model[model_name(r["id"])].append((int(r["batch_size"]), float(r["measured_mib"])))
    flat = set()
    for name, points in by_model.items():
        points.sort()
        (b0, y0), (b1, y1) = points[0], points[-1]
        if b1 >= FLAT_BATCH_RATIO * b0 and y1 < FLAT_GROWTH * y0:
            flat.add(name)
    return flat


def scores(rows):
    if not rows:
        return float("nan"), float("nan"), float("nan"), 0
    ys = [r["y"] for r in rows]
    mean = sum(ys) / len(ys)
    sse = sum((r["p"] - r["y"]) ** 2 for r in rows)
    sst = sum((y - mean) ** 2 for y in ys)
    mape = sum(abs(r["p"] - r["y"]) / r["y"] for r in rows) / len(rows)
    return math.sqrt(sse / len(rows)), 1 - sse / sst if sst > 0 else 0.0, mape, len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions")
    parser.add_argument("--top", type=int, default=8, help="families to list per model")
    args = parser.parse_args()
    try:
        with open(args.predictions, newline="") as f:
            raw = [r for r in csv.DictReader(f) if r.get("scored") == "1"]
    except (OSError, csv.Error) as e:
        sys.exit(f"memory_error_sources.py: {args.predictions}: {e}")
    if not raw:
        sys.exit(f"memory_error_sources.py: {args.predictions}: no scored row (is it a --predictions file?)")
    by_model = collections.defaultdict(list)
    for r in raw:
        y = float(r["measured_mib"])
        p = min(float(r["peak_mem_mib"]), CARD_MIB_DEFAULT)
        by_model[r["model"]].append({"y": y, "p": p, "family": r["family"], "id": r["id"],
                                     "batch_size": r["batch_size"], "measured_mib": r["measured_mib"]})
    for model, rows in by_model.items():
        flat = flat_models(rows)
        clean = [r for r in rows if model_name(r["id"]) not in flat]
        rmse, r2, mape, n = scores(rows)
        rmse_c, r2_c, mape_c, n_c = scores(clean)
        sse = sum((r["p"] - r["y"]) ** 2 for r in rows)
        sse_flat = sse - sum((r["p"] - r["y"]) ** 2 for r in clean)
        print(f"{model}")
        print(f"  all scored rows     n={n:5d}  RMSE {rmse:7.0f} MiB  R2 {r2:.3f}  MAPE {100 * mape:5.1f} %")
        print(f"  without flat models n={n_c:5d}  RMSE {rmse_c:7.0f} MiB  R2 {r2_c:.3f}  MAPE {100 * mape_c:5.1f} %"
              f"   ({len(flat)} flat models, {n - n_c} rows, {100 * sse_flat / sse:.0f} % of the squared error)")
        families = collections.defaultdict(lambda: [0, 0.0, 0.0])
        for r in rows:
            f = families[r["family"]]
            f[0] += 1
            f[1] += (r["p"] - r["y"]) ** 2
            f[2] += abs(r["p"] - r["y"]) / r["y"]
        print(f"  families by share of the squared error (top {args.top}):")
        for name, (count, fam_sse, ape) in sorted(families.items(), key=lambda kv: -kv[1][1])[:args.top]:
            print(f"    {name:18s} n={count:4d}  {100 * fam_sse / sse:5.1f} %  MAPE {100 * ape / count:6.1f} %")
        print()


if __name__ == "__main__":
    main()
