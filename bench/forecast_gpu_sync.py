#!/usr/bin/env python3
"""Do the GPUs of one job switch phase at different times? If one GPU led the others, its switch
would foretell theirs, a precursor no single GPU's telemetry holds.

Reads one nvidia-smi CSV trace (the shared data's dialect: `timestamp, power.draw [W], ...`, with an
`index` column or, without one, rows cycling over --gpus GPUs), finds every time each GPU's power
crosses its threshold (the midpoint of its 2nd and 98th percentiles, or --threshold W), matches the
crossings of the same direction across the GPUs (within --window s of each other) and prints, per
matched switch, how far apart the GPUs crossed; then the median and largest spread and how often
each GPU crossed first.

Usage: forecast_gpu_sync.py TRACE.csv [--gpus 8] [--threshold W] [--window 5]
"""
import argparse
import collections
import csv
import datetime
import signal
import statistics
import sys


def read_power(path, gpus):
    """{gpu: [(seconds, watts), ...]} of the trace; exits naming the file and line on bad input."""
    try:
        f = open(path, newline="")
    except OSError as e:
        sys.exit(f"forecast_gpu_sync: cannot read {path}: {e.strerror}")
    series = collections.defaultdict(list)
    with f:
        reader = csv.reader(f, skipinitialspace=True)
        header = next(reader, None)
        if not header:
            sys.exit(f"forecast_gpu_sync: {path}: empty file")
        names = [h.split(" [")[0].strip() for h in header]
        if "timestamp" not in names or "power.draw" not in names:
            sys.exit(f"forecast_gpu_sync: {path}:1: needs the columns timestamp and power.draw")
        t_col, p_col = names.index("timestamp"), names.index("power.draw")
        i_col = names.index("index") if "index" in names else None
        if i_col is None and gpus < 1:
            sys.exit(f"forecast_gpu_sync: {path}: no index column: give --gpus N (rows cycle over N GPUs)")
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                if line > 2 and not any(row):
                    continue
                print(f"forecast_gpu_sync: {path}:{line}: {len(row)} of {len(header)} fields, skipped",
                      file=sys.stderr)
                continue
            try:
                t = datetime.datetime.strptime(row[t_col].strip(), "%Y/%m/%d %H:%M:%S.%f").timestamp()
                gpu = int(row[i_col]) if i_col is not None else (line - 2) % gpus
                watts = float(row[p_col].split()[0])
            except (ValueError, IndexError):
                print(f"forecast_gpu_sync: {path}:{line}: unreadable timestamp, index or power.draw, skipped",
                      file=sys.stderr)
                continue
            series[gpu].append((t, watts))
    if not series:
        sys.exit(f"forecast_gpu_sync: {path}: no readable rows")
    return series


def crossings(samples, threshold):
    """Times (s) and directions (+1 up, -1 down) at which the power crossed the threshold."""
    out = []
    above = None
    for t, w in samples:
        now = w > threshold
        if above is not None and now != above:
            out.append((t, 1 if now else -1))
        above = now
    return out


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--gpus", type=int, default=0, help="GPUs the rows cycle over, without an index column")
    ap.add_argument("--threshold", type=float, help="power (W) between the phases; default per GPU")
    ap.add_argument("--window", type=float, default=5.0, help="crossings this close (s) are one switch")
    args = ap.parse_args()

    series = read_power(args.trace, args.gpus)
    start = min(s[0][0] for s in series.values())
    events = []  # (time, direction, gpu)
    for gpu, samples in sorted(series.items()):
        watts = sorted(w for _, w in samples)
        low, high = watts[len(watts) // 50], watts[49 * len(watts) // 50]
        threshold = args.threshold if args.threshold is not None else (low + high) / 2
        events += [(t, d, gpu) for t, d in crossings(samples, threshold)]
    events.sort()

    # A switch: crossings of one direction, each GPU at most once, within --window of the first.
    switches = []
    for t, d, gpu in events:
        joined = next((s for s in reversed(switches) if t - s["t0"] <= args.window and s["dir"] == d
                       and gpu not in s["gpus"]), None)
        if joined:
            joined["gpus"][gpu] = t
        else:
            switches.append({"t0": t, "dir": d, "gpus": {gpu: t}})
    everyone = [s for s in switches if len(s["gpus"]) == len(series)]
    print(f"{args.trace}: {len(series)} GPUs, {len(everyone)} switches made by every GPU "
          f"({len(switches) - len(everyone)} by some only)")
    if not everyone:
        return
    print(f"{'time (s)':>9} {'dir':>4} {'spread (s)':>10}  first")
    spreads, first = [], collections.Counter()
    for s in everyone:
        times = s["gpus"]
        spread = max(times.values()) - min(times.values())
        lead = min(times, key=times.get)
        spreads.append(spread)
        first[lead] += 1
        print(f"{s['t0'] - start:>9.1f} {'up' if s['dir'] > 0 else 'down':>4} {spread:>10.2f}  GPU {lead}")
    print(f"spread: median {statistics.median(spreads):.2f} s, largest {max(spreads):.2f} s; first to switch: "
          + ", ".join(f"GPU {g} {n}x" for g, n in first.most_common()))


if __name__ == "__main__":
    main()
