#!/usr/bin/env python3
"""Does utilization foretell power? nvidia-smi's power.draw is an average over about a second, so at
a phase switch utilization moves up to a second before power has followed (on the shared H100 traces
utilization jumps to ~90 % as power starts a 1 s ramp from ~145 W to ~540 W).

Reads `gpuopt forecast eval --forecasts FILE` (a model's power and gpu_util rows, persistence's value
at the origin in each) and, per series, replaces the model's power forecast at the origins where
utilization has just changed state -- busy (>= --busy %) one origin, idle (<= --idle %) the one
before, or the reverse -- while power still sits nearer the level it had in the old state: there
the forecast becomes the median power of the last 60 origins in the new state (levels at least
--gap W apart). Prints, per folder of traces and horizon, the model's ratio to persistence's MAE
before and after, and the number of origins changed.

Usage: forecast_util_lead.py FILE [--model phase] [--busy 50] [--idle 10] [--gap 100]
"""
import collections
import statistics
import sys

from forecast_csv import argument_parser, forecast_rows, group_of, seconds_of

LEVEL_ORIGINS = 60  # a state's power level: the median over its last this many origins
MIN_LEVEL_ORIGINS = 5


def main():
    ap = argument_parser(__doc__)
    ap.add_argument("--model", default="phase")
    ap.add_argument("--busy", type=float, default=50.0, help="utilization (%%) of a busy origin")
    ap.add_argument("--idle", type=float, default=10.0, help="utilization (%%) of an idle origin")
    ap.add_argument("--gap", type=float, default=100.0, help="W between the busy and idle power levels")
    args = ap.parse_args()

    # series -> origin (s) -> {(channel, horizon s): (observed, forecast, last)}
    series = collections.defaultdict(lambda: collections.defaultdict(dict))
    for line, row in forecast_rows(args.file, "forecast_util_lead"):
        if row["model"] != args.model or row["channel"] not in ("power", "gpu_util"):
            continue
        try:
            origin = seconds_of(row["time"])
            value = (float(row["observed"]), float(row["forecast"]), float(row["persistence"]))
            horizon = float(row["horizon_s"])
        except ValueError:
            sys.exit(f"forecast_util_lead: {args.file}:{line}: a number or time field is not one")
        series[(row["trace"], row["gpu"])][origin][(row["channel"], horizon)] = value

    pers, before, after, changed = (collections.Counter() for _ in range(4))
    for (trace, _), origins in series.items():
        groups = ("all", group_of(trace))
        levels = {"busy": [], "idle": []}
        last_state = None
        for origin in sorted(origins):
            at = origins[origin]
            util = next((v[2] for (c, _), v in at.items() if c == "gpu_util"), None)
            power = next((v[2] for (c, _), v in at.items() if c == "power"), None)
            if util is None or power is None:
                last_state = None
                continue
            state = "busy" if util >= args.busy else ("idle" if util <= args.idle else None)
            lead = None
            if state and last_state and state != last_state and min(
                    len(levels[state]), len(levels[last_state])) >= MIN_LEVEL_ORIGINS:
                new = statistics.median(levels[state][-LEVEL_ORIGINS:])
                old = statistics.median(levels[last_state][-LEVEL_ORIGINS:])
                if abs(new - old) >= args.gap and abs(power - old) < abs(power - new):
                    lead = new  # utilization switched, power has not followed yet
            for (channel, horizon), (observed, forecast, last) in at.items():
                if channel != "power":
                    continue
                for g in groups:
                    key = (g, horizon)
                    pers[key] += abs(observed - last)
                    before[key] += abs(observed - forecast)
                    after[key] += abs(observed - (lead if lead is not None else forecast))
                    changed[key] += lead is not None
            if state and lead is None:
                levels[state].append(power)
            last_state = state
    if not pers:
        sys.exit(f"forecast_util_lead: no {args.model} power and gpu_util forecasts in {args.file}")
    print(f"{args.model} power forecasts, ratio to persistence's MAE before -> after following utilization")
    print(f"{'traces':<22} {'horizon':>7} {'before':>7} {'after':>7} {'changed':>8}")
    for g, horizon in sorted(pers, key=lambda k: (k[0] != "all", k)):
        p = pers[(g, horizon)] or 1.0
        print(f"{g:<22} {horizon:>6g}s {before[(g, horizon)] / p:>7.3f} {after[(g, horizon)] / p:>7.3f}"
              f" {changed[(g, horizon)]:>8}")


if __name__ == "__main__":
    main()
