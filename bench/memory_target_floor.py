#!/usr/bin/env python3
"""The best score any physically consistent predictor can reach on a memory data set.

usage: memory_target_floor.py [TASKS.jsonl] [--best-tree-rmse MIB] [--min-slope X ...]

Scores the rows `gpuopt mem eval` scores by default (status ok, quality clean). Some models flagged
clean have a *flat* measured peak: it grows by less than 10 % while the batch size grows 4x or more
(the same rule as memory_error_sources.py). Every other model's peak grows linearly with the batch
size, with a slope of 0.4-1.1x the layer outputs (4 bytes x sum of the `layers` output elements per
sample; shared/data README), and a predictor sees nothing in a flat model's layers, parameters or
input that sets it apart from a normal model of the same shape.

This script grants a hypothetical predictor every advantage:
  * it is exact on every row of every non-flat model;
  * on each flat model it draws the best line a + b x batch_size (capped at the card's memory, as the
    eval scores predictions) whose slope b is at least MIN_SLOPE x the layer outputs, with any
    intercept a >= 0 chosen per model to minimise that model's squared (or percentage) error.
Its RMSE, R^2 and MAPE are floors no real predictor of that kind can beat. The issue's targets for
the timm set are R^2 >= 0.95, MAPE <= 10 % and RMSE <= 0.7 x the best tree's.

Reproduce the figures in bench/README.md ("What the data allows") with
  bench/memory_target_floor.py ../shared/data/memory/timm_a100.jsonl
"""
import argparse
import collections
import json
import math
import os
import sys

FLAT_GROWTH = 1.10
FLAT_BATCH_RATIO = 4
MIB = 2.0**20
BYTES_PER_ELEMENT = 4.0  # fp32, the precision of every timm row


def read_rows(path):
    rows = []
    try:
        with open(path) as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    if r["status"] != "ok" or r["quality"] != "clean":
                        continue
                    outputs = sum(layer[1] for layer in r["layers"])
                    rows.append((r["model"], int(r["batch_size"]), float(r["peak_mem_mib"]),
                                 float(outputs), float(r["gpu_mem_mib"])))
                except (ValueError, KeyError, TypeError, IndexError) as e:
                    sys.exit(f"memory_target_floor.py: {path}:{line_no}: {e!r}")
    except OSError as e:
        sys.exit(f"memory_target_floor.py: {path}: {e}")
    if not rows:
        sys.exit(f"memory_target_floor.py: {path}: no row with status ok and quality clean")
    return rows


def flat_models(by_model):
    flat = []
    for name, points in by_model.items():
        points = sorted(points)
        (b0, y0), (b1, y1) = (points[0][0], points[0][1]), (points[-1][0], points[-1][1])
        if b1 >= FLAT_BATCH_RATIO * b0 and y1 < FLAT_GROWTH * y0:
            flat.append(name)
    return sorted(flat)


def slope_ratios(by_model, flat):
    """Per non-flat model: measured slope (first to last batch size) / the layer outputs in MiB per sample."""
    ratios = []
    for name, points in by_model.items():
        points = sorted(points)
        if name in flat or len(points) < 2 or points[-1][0] == points[0][0]:
            continue
        slope = (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])
        ratios.append(slope / (BYTES_PER_ELEMENT * points[0][2] / MIB))
    return ratios


def best_line(points, min_slope_mib, card_mib, loss):
    """Least loss over a >= 0 and b >= min_slope_mib: a coarse grid, then a fine one around its best."""

    def cost(a, b):
        total = 0.0
        for batch, measured, _, _ in points:
            err = min(a + b * batch, card_mib) - measured
            total += err * err if loss == "squared" else abs(err) / measured
        return total

    best = min((cost(a, min_slope_mib * (1 + 0.05 * i)), a, i * 5.0)
               for i in range(81) for a in range(0, int(card_mib) + 1, 50))
    _, a0, pct0 = best
    return min(cost(a, min_slope_mib * (1 + 0.01 * pct))
               for pct in (max(0.0, pct0 + d * 0.5) for d in range(-10, 11))
               for a in range(max(0, a0 - 50), a0 + 51))


def main():
    default = os.path.join(os.environ.get("GPUOPT_DATA_DIR", "../shared/data"), "memory", "timm_a100.jsonl")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="?", default=default)
    parser.add_argument("--best-tree-rmse", type=float, default=3412.0,
                        help="the best tree baseline's RMSE in MiB on the same rows (bench/README.md: tree:rf)")
    parser.add_argument("--min-slope", type=float, nargs="+", default=[0.4, 0.2, 0.15],
                        help="smallest slope granted, as a multiple of the layer outputs (README: 0.4)")
    args = parser.parse_args()

    rows = read_rows(args.tasks)
    by_model = collections.defaultdict(list)
    for name, batch, measured, outputs, card in rows:
        by_model[name].append((batch, measured, outputs, card))
    flat = flat_models(by_model)
    mean = sum(r[2] for r in rows) / len(rows)
    sst = sum((r[2] - mean) ** 2 for r in rows)
    n = len(rows)
    flat_rows = sum(len(by_model[m]) for m in flat)
    print(f"{args.tasks}: {n} scored rows, {len(flat)} flat models ({flat_rows} rows): {', '.join(flat)}")
    print(f"targets: R2 >= 0.95, MAPE <= 10 %, RMSE <= 0.7 x {args.best_tree_rmse:.0f} = "
          f"{0.7 * args.best_tree_rmse:.0f} MiB")
    ratios = sorted(slope_ratios(by_model, flat))
    quantiles = (1, 2, 5, 50, 95)
    print(f"measured slope / layer outputs of the {len(ratios)} other models, percentiles "
          + "/".join(str(q) for q in quantiles) + ": "
          + ", ".join(f"{ratios[round(q / 100 * (len(ratios) - 1))]:.2f}" for q in quantiles))
    print("floors (exact on every other row; best capped line on each flat model):")
    for min_slope in args.min_slope:
        sse = ape = 0.0
        for name in flat:
            points = by_model[name]
            slope_mib = min_slope * BYTES_PER_ELEMENT * points[0][2] / MIB
            card = points[0][3]
            sse += best_line(points, slope_mib, card, "squared")
            ape += best_line(points, slope_mib, card, "percentage")
        rmse = math.sqrt(sse / n)
        print(f"  slope >= {min_slope:.2f} x outputs: R2 <= {1 - sse / sst:.3f}   RMSE >= {rmse:.0f} MiB "
              f"({rmse / args.best_tree_rmse:.2f} x best tree)   MAPE >= {100 * ape / n:.1f} % "
              f"(the other {n - flat_rows} rows would need MAPE <= {100 * (0.10 * n - ape) / (n - flat_rows):.1f} %)")


if __name__ == "__main__":
    main()
