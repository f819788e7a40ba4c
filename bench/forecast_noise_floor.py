#!/usr/bin/env python3
"""How much of persistence's error is noise, from `gpuopt forecast eval --forecasts FILE`.

The value at each forecast's target is split into a level -- the median of the observed values of
the origins --half seconds around it (a centred window: it reads the future, no forecaster could) --
and the rest, its deviation from that level. If the deviation is noise, independent of everything
before the origin and symmetric, no forecaster's absolute error can be smaller than the deviation's
on average, so

  floor = sum |observed - centred median| / sum |observed - persistence|

is a lower bound of the ratio to persistence that any forecaster can reach. It is a floor only
under that assumption: a deviation that repeats (a period shorter than the window) is counted
as noise although it could be foreseen, and a move inside the window is partly counted as level.
Printed per folder of traces and over all of them, next to the model's ratio.

Usage: forecast_noise_floor.py FILE [--model phase] [--half 2]
"""
import collections
import statistics
import sys

from forecast_csv import argument_parser, forecast_rows, group_of, seconds_of


def main():
    ap = argument_parser(__doc__)
    ap.add_argument("--model", default="phase", help="the model whose ratio is printed beside the floor")
    ap.add_argument("--half", type=int, default=2, help="origins on each side of the centred median")
    args = ap.parse_args()
    if args.half < 1:
        sys.exit("forecast_noise_floor: --half must be at least 1")

    series = collections.defaultdict(list)  # (trace, gpu, channel, horizon) -> [(time, observed, forecast, last)]
    for line, row in forecast_rows(args.file, "forecast_noise_floor"):
        if row["model"] != args.model:
            continue
        try:
            values = float(row["observed"]), float(row["forecast"]), float(row["persistence"])
            origin = seconds_of(row["time"])
        except ValueError:
            sys.exit(f"forecast_noise_floor: {args.file}:{line}: a number or time field is not one")
        key = (row["trace"], row["gpu"], row["channel"], row["horizon_s"])
        series[key].append((origin,) + values)
    if not series:
        sys.exit(f"forecast_noise_floor: no {args.model} forecasts in {args.file}")

    sums = collections.defaultdict(lambda: [0.0, 0.0, 0.0])  # (group, channel, horizon) -> persistence, model, floor
    for (trace, _, channel, horizon), rows in series.items():
        rows.sort()  # by origin
        observed = [r[1] for r in rows]
        for i, (_, value, forecast, last) in enumerate(rows):
            level = statistics.median(observed[max(0, i - args.half) : i + args.half + 1])
            for group in ("all", group_of(trace)):
                s = sums[(group, channel, horizon)]
                s[0] += abs(value - last)
                s[1] += abs(value - forecast)
                s[2] += abs(value - level)

    print(f"ratio to persistence's error: {args.model}, and the noise floor (centred median of "
          f"{2 * args.half + 1} origins)")
    print(f"{'traces':<22} {'channel':<12} {'horizon':>8} {args.model:>12} {'floor':>7}")
    for group, channel, horizon in sorted(sums, key=lambda k: (k[0] != "all", k[0], k[1], float(k[2]))):
        persistence, model, floor = sums[(group, channel, horizon)]
        if persistence == 0:
            continue
        print(f"{group:<22} {channel:<12} {horizon + ' s':>8} {model / persistence:>12.3f} {floor / persistence:>7.3f}")


if __name__ == "__main__":
    main()
