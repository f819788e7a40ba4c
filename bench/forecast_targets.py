"""Prints issue 4's targets from `gpuopt forecast eval --json` output (see forecast_eval.sh)."""
import json
import sys

HYBRID = "seq:bigru-transformer"
OTHERS = ["persistence", "moving-average", "phase", "tree:xgboost", "seq:gru", "seq:transformer"]


def main(path):
    doc = json.load(open(path))
    mae = {}
    for r in doc["results"]:
        mae[(r.get("group", ""), r["model"], r["channel"], r["horizon_s"])] = r["mae"]
    groups = sorted({g for g, *_ in mae})
    for group in groups:
        print(f"\n== {group or 'all traces'}")
        print(f"{'channel':<9} {'h':>4} {'hybrid MAE':>11} {'persist.':>9} {'ratio':>6} {'<=0.7':>5}   hybrid / other")
        for channel in ("power", "gpu_util"):
            for h in (1.0, 5.0, 30.0):
                hy = mae.get((group, HYBRID, channel, h))
                pe = mae.get((group, "persistence", channel, h))
                if hy is None or pe is None:
                    continue
                vs = "  ".join(f"{m}={hy / mae[(group, m, channel, h)]:.3f}" for m in OTHERS[1:]
                               if (group, m, channel, h) in mae)
                ok = "yes" if h > 1 and hy <= 0.7 * pe else ("-" if h == 1 else "no")
                print(f"{channel:<9} {h:>4.0f} {hy:>11.2f} {pe:>9.2f} {hy / pe:>6.3f} {ok:>5}   {vs}")
    a = doc.get("anomalies")
    if a:
        print(f"\n== anomaly detection ({a['model']} forecasts), goals: precision >= 0.9, recall >= 0.9, "
              f"< 1 false alarm per GPU-hour")
        print(f"precision {a['precision']:.3f} ({a['true_events']}/{a['events']} events)  "
              f"recall {a['recall']:.3f} ({a['detected']}/{a['injected']} injections)")
        for kind, k in a["by_kind"].items():
            print(f"  {kind:<12} {k['detected']}/{k['injected']}")
        print(f"false alarms: {a['clean_events']} in {a['clean_gpu_hours']:.1f} GPU-hours = "
              f"{a['false_alarms_per_gpu_hour']:.3f} per GPU-hour  {a['clean_events_by_kind']}")


if __name__ == "__main__":
    main(sys.argv[1])
