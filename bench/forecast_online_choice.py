#!/usr/bin/env python3
"""Can a GPU's own recent errors tell when to trust a model's corrections to the phase rule?

Reads `gpuopt forecast eval --forecasts FILE` holding two models' forecasts of the same origins (the
rule, `--rule`, and a model that corrects it, `--model`) and replays each series (a trace's GPU) in
time order, as the agent would see it. Per channel x horizon it forecasts the rule plus a weight of
the model's correction, weights 0, 0.1, ..., 1: the least weight whose error over the forecasts
scored so far is within --margin of the least error (how the sequence models weigh their
corrections in training, src/forecast/models.hpp). A forecast is scored once its target time has
come (origin + horizon <= now); the errors decay with the time constant --tau. Until the scored
forecasts weigh --min, the weight is --start's (1: the model, 0: the rule).

Prints, per folder of traces, channel (power, gpu_util) and horizon, the ratio to persistence's MAE
of the rule, the model and the online choice, and the share of origins forecast with a weight
above 0.

Usage: forecast_online_choice.py FILE [--rule phase] [--model seq:bigru-transformer] [--tau 600]
                                      [--margin 0.01] [--min 30] [--start 1]
"""
import collections
import math
import sys

from forecast_csv import argument_parser, forecast_rows, group_of, seconds_of

WEIGHT_STEPS = 10
CHANNELS = ("power", "gpu_util")


def chosen_weights(origins, horizon, errors, args):
    """Per origin (ascending), the weight index chosen from the forecasts scored before it.
    errors[i][k]: absolute error of origin i's forecast with weight k / WEIGHT_STEPS."""
    sums = [0.0] * (WEIGHT_STEPS + 1)
    mass = 0.0
    last = None  # time of the latest scoring
    scored = 0  # origins[:scored] are scored
    out = []
    for t in origins:
        while scored < len(origins) and origins[scored] + horizon <= t:
            at = origins[scored] + horizon
            if last is not None:
                decay = math.exp(-(at - last) / args.tau)
                sums = [s * decay for s in sums]
                mass *= decay
            last = at
            sums = [s + e for s, e in zip(sums, errors[scored])]
            mass += 1
            scored += 1
        now_mass = mass * math.exp(-(t - last) / args.tau) if last is not None else 0.0
        if now_mass < args.min:
            out.append(round(args.start * WEIGHT_STEPS))
            continue
        least = min(sums)
        out.append(next(k for k, s in enumerate(sums) if s <= least * (1 + args.margin)))
    return out


def main():
    ap = argument_parser(__doc__)
    ap.add_argument("--rule", default="phase")
    ap.add_argument("--model", default="seq:bigru-transformer")
    ap.add_argument("--tau", type=float, default=600.0, help="s, time constant of the errors' decay")
    ap.add_argument("--margin", type=float, default=0.01, help="share a weight's error may exceed the least")
    ap.add_argument("--min", type=float, default=30.0, help="scored forecasts (decayed) before choosing")
    ap.add_argument("--start", type=float, default=1.0, choices=(0.0, 1.0), help="weight before that")
    args = ap.parse_args()
    if not (args.tau > 0 and args.margin >= 0 and args.min >= 0):
        sys.exit("forecast_online_choice: --tau must be positive, --margin and --min not negative")

    # (trace, gpu, channel, horizon) -> origin (s) -> [observed, persistence, rule, model]
    series = collections.defaultdict(dict)
    for line, row in forecast_rows(args.file, "forecast_online_choice"):
        if row["channel"] not in CHANNELS or row["model"] not in (args.rule, args.model):
            continue
        try:
            origin = seconds_of(row["time"])
            horizon = float(row["horizon_s"])
            observed, forecast, last = float(row["observed"]), float(row["forecast"]), float(row["persistence"])
        except ValueError:
            sys.exit(f"forecast_online_choice: {args.file}:{line}: a number or time field is not one")
        at = series[(row["trace"], row["gpu"], row["channel"], horizon)].setdefault(
            origin, [observed, last, None, None])
        at[2 if row["model"] == args.rule else 3] = forecast

    # (folder, channel, horizon) -> [persistence, rule, model, chosen] absolute errors, origins, weighed
    sums = collections.defaultdict(lambda: [0.0] * 6)
    for (trace, _, channel, horizon), by_origin in series.items():
        rows = [(o, v) for o, v in sorted(by_origin.items()) if v[2] is not None and v[3] is not None]
        if not rows:
            continue
        origins = [o for o, _ in rows]
        errors = [[abs(v[0] - (v[2] + k / WEIGHT_STEPS * (v[3] - v[2]))) for k in range(WEIGHT_STEPS + 1)]
                  for _, v in rows]
        weights = chosen_weights(origins, horizon, errors, args)
        for g in ("all", group_of(trace)):
            s = sums[(g, channel, horizon)]
            for (_, v), e, k in zip(rows, errors, weights):
                s[0] += abs(v[0] - v[1])
                s[1] += e[0]
                s[2] += e[WEIGHT_STEPS]
                s[3] += e[k]
                s[4] += 1
                s[5] += k > 0
    if not sums:
        sys.exit(f"forecast_online_choice: no origins with both {args.rule} and {args.model} forecasts "
                 f"of {' or '.join(CHANNELS)} in {args.file}")
    print(f"ratio to persistence's MAE: {args.rule}, {args.model}, and chosen online per GPU "
          f"(tau {args.tau:g} s, margin {args.margin:g}, min {args.min:g}, start {args.start:g})")
    print(f"{'traces':<22} {'channel':<9} {'horizon':>7} {'rule':>6} {'model':>6} {'online':>6} {'corrected':>9}")
    for g, channel, horizon in sorted(sums, key=lambda k: (k[0] != "all", k)):
        p, rule, model, chosen, n, weighed = sums[(g, channel, horizon)]
        p = p or 1.0
        print(f"{g:<22} {channel:<9} {horizon:>6g}s {rule / p:>6.3f} {model / p:>6.3f} {chosen / p:>6.3f}"
              f" {weighed / n:>9.2f}")


if __name__ == "__main__":
    main()
