#!/usr/bin/env python3
"""Sets every correction weight of a sequence forecaster's model file to one value.

A sequence model (`seq:gru`, `seq:transformer`, `seq:bigru-transformer`) weighs its network's
correction of the phase forecast per channel and horizon, on traces held out while it trains
(`correction_weights` in the model file's header; docs/forecast.md). Weight 0 leaves the phase
forecast as it is. To see what the network itself forecasts, for instance scored on the traces it
trained on, write a copy with every weight at 1:

  gpuopt forecast train --traces ../shared/data/telemetry --model seq:bigru-transformer --out m.gpuopt
  bench/forecast_set_weights.py m.gpuopt m1.gpuopt --weight 1
  gpuopt forecast eval --model-file m1.gpuopt --test ../shared/data/telemetry --json

The layout (src/ml/model_file.cpp): "GPUOPTMF", u32 version, u64 header length, header JSON,
sections, then a u64 FNV-1a checksum of everything before it; integers little-endian. The copy
gets a new header and checksum; the sections are copied as they are.
"""
import argparse
import json
import struct
import sys

MAGIC = b"GPUOPTMF"


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fail(message):
    sys.exit(f"forecast_set_weights.py: {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a sequence forecaster's model file")
    parser.add_argument("out", help="the copy to write")
    parser.add_argument("--weight", type=float, default=1.0, help="every correction weight (default 1)")
    args = parser.parse_args()
    if not 0 <= args.weight <= 1:
        fail(f"--weight {args.weight}: must be in [0, 1]")
    try:
        data = open(args.model, "rb").read()
    except OSError as e:
        fail(f"{args.model}: {e.strerror}")
    if len(data) < len(MAGIC) + 20 or not data.startswith(MAGIC):
        fail(f"{args.model}: not a gpuopt model file (no GPUOPTMF magic)")
    body, checksum = data[:-8], struct.unpack("<Q", data[-8:])[0]
    if fnv1a64(body) != checksum:
        fail(f"{args.model}: checksum does not match: the file is damaged")
    version = body[8:12]
    (length,) = struct.unpack("<Q", body[12:20])
    if 20 + length > len(body):
        fail(f"{args.model}: header length {length} runs past the end of the file")
    try:
        meta = json.loads(body[20 : 20 + length])
    except ValueError as e:
        fail(f"{args.model}: header is not JSON: {e}")
    weights = meta.get("correction_weights")
    if meta.get("domain") != "forecast" or not isinstance(weights, list):
        fail(f"{args.model}: not a sequence forecaster (no correction_weights in its header)")
    meta["correction_weights"] = [args.weight] * len(weights)
    header = json.dumps(meta, separators=(",", ":")).encode()
    out = MAGIC + version + struct.pack("<Q", len(header)) + header + body[20 + length :]
    out += struct.pack("<Q", fnv1a64(out))
    with open(args.out, "wb") as f:
        f.write(out)
    print(f"{args.out}: {len(weights)} correction weights set to {args.weight:g}")


if __name__ == "__main__":
    main()
