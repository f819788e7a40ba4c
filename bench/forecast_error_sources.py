#!/usr/bin/env python3
"""Where a forecaster's error lies, from `gpuopt forecast eval --forecasts FILE`.

Splits the scored forecasts of one model, channel and horizon by how far the value moved from the
last one (|observed - persistence|) and by what the model forecast:

  caught  the value moved by at least BIG and the model moved its forecast by at least BIG / 2;
  missed  the value moved by at least BIG and the model forecast (nearly) no move;
  false   the value stayed within STILL and the model forecast a move of at least BIG / 2.

and prints, per folder of traces and over all of them, the sums of absolute error of persistence
and of the model in each part, as shares of persistence's total. A target of 0.7 x persistence
needs the model's total share at 0.7.

With --jobs, the forecasts whose horizon spans the start or the end of a job come first, as part
`job`, whatever the move: no forecaster reading the telemetry can know when a job is started or
stopped. A job is a run of seconds at --busy % utilization or more (the model's own utilization
rows, value at the origin), runs closer than --merge seconds being one job (checkpoints and idle
spells inside a job are not job ends). Series without utilization have no jobs.

With --start S, the forecasts from the first S seconds of each series (trace and GPU) come before
all the others, as part `start`. A model that sees how much history it has (the window's empty
tokens) can learn when the recordings' jobs begin after the recording did, which a long-running
agent's history does not tell.

Usage: forecast_error_sources.py FILE [--model phase] [--channel power] [--horizon 5] [--big 200]
       [--still 5] [--jobs [--busy 50] [--merge 120]] [--start 120]
"""
import bisect
import collections
import sys

from forecast_csv import argument_parser, forecast_rows, group_of, seconds_of


def job_boundaries(busy_times, all_times, merge_s):
    """Times (s) of the starts and ends of jobs: runs of busy origins, those closer than merge_s
    joined; a run that starts at the first origin or ends at the last has no boundary there."""
    if not busy_times:
        return []
    runs = []
    for t in sorted(busy_times):
        if runs and t - runs[-1][1] <= merge_s:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    first, last = min(all_times), max(all_times)
    bounds = [a - 0.5 for a, _ in runs if a > first] + [e + 0.5 for _, e in runs if e < last]
    return sorted(bounds)


def main():
    ap = argument_parser(__doc__)
    ap.add_argument("--model", default="phase")
    ap.add_argument("--channel", default="power")
    ap.add_argument("--horizon", type=float, default=5.0, help="seconds")
    ap.add_argument("--big", type=float, default=200.0, help="a move at least this large (channel unit)")
    ap.add_argument("--still", type=float, default=5.0, help="a move at most this large is none")
    ap.add_argument("--jobs", action="store_true", help="set apart the forecasts across a job start or end")
    ap.add_argument("--busy", type=float, default=50.0, help="utilization (%%) of a job's seconds")
    ap.add_argument("--merge", type=float, default=120.0, help="seconds between runs of one job")
    ap.add_argument("--start", type=float, default=0.0,
                    help="set apart the forecasts from the first START seconds of each series")
    args = ap.parse_args()
    timed = args.jobs or args.start > 0

    parts = (("start",) if args.start > 0 else ()) + (("job",) if args.jobs else ())
    parts += ("still", "caught", "missed", "false", "other")
    rows = []  # (trace, gpu, origin s, observed, forecast, last) of the model, channel and horizon
    busy = collections.defaultdict(list)  # (trace, gpu) -> origins (s) at --busy utilization or more
    origins = collections.defaultdict(list)
    first = {}  # (trace, gpu) -> its first origin (s) among the rows read
    pers = collections.defaultdict(lambda: collections.Counter())
    model = collections.defaultdict(lambda: collections.Counter())
    count = collections.defaultdict(lambda: collections.Counter())
    for line, row in forecast_rows(args.file, "forecast_error_sources"):
        if row["model"] != args.model:
            continue
        is_util = args.jobs and row["channel"] == "gpu_util"
        if row["channel"] != args.channel and not is_util:
            continue
        try:
            if abs(float(row["horizon_s"]) - args.horizon) > 1e-9:
                continue
            observed, forecast, last = float(row["observed"]), float(row["forecast"]), float(row["persistence"])
            origin = seconds_of(row["time"]) if timed else 0.0
        except ValueError:
            sys.exit(f"forecast_error_sources: {args.file}:{line}: a number or time field is not one")
        series = (row["trace"], row["gpu"])
        first[series] = min(first.get(series, origin), origin)
        if is_util:
            origins[series].append(origin)
            if last >= args.busy:
                busy[series].append(origin)
        if row["channel"] == args.channel:
            rows.append((series, origin, observed, forecast, last))
    bounds = {series: job_boundaries(busy[series], times, args.merge) for series, times in origins.items()}
    for series, origin, observed, forecast, last in rows:
        moved, forecast_move = abs(observed - last), abs(forecast - last)
        b = bounds.get(series, [])
        # A boundary in (origin, origin + horizon]: the job started or ended before the target.
        k = bisect.bisect_right(b, origin)
        if origin - first[series] < args.start:
            part = "start"
        elif args.jobs and k < len(b) and b[k] <= origin + args.horizon:
            part = "job"
        elif moved >= args.big:
            part = "caught" if forecast_move >= args.big / 2 else "missed"
        elif moved <= args.still:
            part = "false" if forecast_move >= args.big / 2 else "still"
        else:
            part = "other"
        for group in ("all", group_of(series[0])):
            pers[group][part] += moved
            model[group][part] += abs(observed - forecast)
            count[group][part] += 1
    if not count:
        sys.exit(f"forecast_error_sources: no {args.model} {args.channel} forecasts {args.horizon:g} s ahead in {args.file}")

    print(f"{args.model}, {args.channel}, {args.horizon:g} s ahead: absolute error sums as shares of persistence's"
          f" total (moves of at least {args.big:g} are big, at most {args.still:g} none)")
    print(f"{'traces':<22} {'part':<7} {'n':>7} {'persistence':>12} {'model':>8}")
    for group in ["all"] + sorted(g for g in count if g != "all"):
        total = sum(pers[group].values()) or 1.0
        for part in parts:
            print(f"{group:<22} {part:<7} {count[group][part]:>7} {pers[group][part] / total:>12.3f}"
                  f" {model[group][part] / total:>8.3f}")
        print(f"{group:<22} {'total':<7} {sum(count[group].values()):>7} {1.0:>12.3f}"
              f" {sum(model[group].values()) / total:>8.3f}")


if __name__ == "__main__":
    main()
