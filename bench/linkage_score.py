#!/usr/bin/env python3
"""Score a clustering of several sources against a truth file keyed by source.

usage: linkage_score.py CLUSTERS.csv TRUTH.csv
CLUSTERS.csv: source,record_id,cluster_id (as `paradero link` writes it).
TRUTH.csv:    source,rec_id,person_id (as `paradero synth` and
              bench/linkagegen write it).
Records are keyed by (source, id), so ids may repeat across sources. Prints
pairwise precision, recall, F1 and B-cubed F1, like
shared/benchmarks/linkage/score.py.
"""
import csv, sys
from collections import Counter

pred = {(r["source"], r["record_id"]): r["cluster_id"] for r in csv.DictReader(open(sys.argv[1], newline=""))}
truth = {}
for r in csv.DictReader(open(sys.argv[2], newline="")):
    truth[(r["source"], r.get("rec_id") or r.get("record_id"))] = r["person_id"]
if set(pred) != set(truth):
    print(f"records differ: {len(set(truth) - set(pred))} missing from the output, {len(set(pred) - set(truth))} not in the truth")
    sys.exit(2)
c2 = lambda n: n * (n - 1) // 2
pg, tg, both = Counter(pred.values()), Counter(truth.values()), Counter((pred[k], truth[k]) for k in pred)
npred, ntrue, tp = sum(map(c2, pg.values())), sum(map(c2, tg.values())), sum(map(c2, both.values()))
p = tp / npred if npred else 1.0
r = tp / ntrue if ntrue else 1.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
bp = sum(both[(pred[k], truth[k])] / pg[pred[k]] for k in pred) / len(pred)
br = sum(both[(pred[k], truth[k])] / tg[truth[k]] for k in pred) / len(pred)
print(f"P={p:.4f} R={r:.4f} F1={f1:.4f} B3F1={2 * bp * br / (bp + br):.4f} records={len(pred)}")
