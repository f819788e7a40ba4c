"""Reading the scored forecasts of `gpuopt forecast eval --forecasts FILE`, for the bench scripts."""
import argparse
import csv
import datetime
import signal
import sys

FIELDS = {"trace", "gpu", "time", "model", "channel", "horizon_s", "observed", "forecast", "persistence"}


def seconds_of(text):
    """Seconds since the epoch of an ISO 8601 UTC time (`time` column); ValueError when it is not one."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def group_of(trace):
    """The folder a trace is reported under: the run folder's parent for `*/nvidia-smi.csv`."""
    parts = trace.replace("\\", "/").split("/")
    return parts[-3] if parts[-1] == "nvidia-smi.csv" and len(parts) >= 3 else (parts[-2] if len(parts) >= 2 else "")


def forecast_rows(path, prog):
    """Yields (line number, row as a dict) of the file; exits naming the file when it cannot be read
    or is not a forecasts file."""
    try:
        f = open(path, newline="")
    except OSError as e:
        sys.exit(f"{prog}: cannot read {path}: {e.strerror}")
    with f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not FIELDS <= set(reader.fieldnames):
            sys.exit(f"{prog}: {path}: not a `gpuopt forecast eval --forecasts` file")
        yield from enumerate(reader, start=2)


def argument_parser(doc):
    """The scripts' command line: their docstring as help and the forecasts FILE first. Also lets
    `| head` end a script quietly."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    return ap
