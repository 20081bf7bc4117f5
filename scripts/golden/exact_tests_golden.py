"""Exact two-sample KS and Wasserstein on real heavy-tailed money columns (vega-datasets movies.json),
for test/unit/exact-tests.test.ts: the fine-grid approximations must be within 0.01 (KS) and 5%
(Wasserstein over the training standard deviation, ddof=1) of these.

Pairs: train = the column's non-null values at even positions (file order), live = at odd positions;
then live + 0.5 sigma(train) and live * 1.5.
Run: python scripts/golden/exact_tests_golden.py (numpy, scipy: requirements.txt)."""
import json
import os

import numpy as np
from scipy.stats import ks_2samp, wasserstein_distance

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
with open(os.path.join(ROOT, "node_modules", "vega-datasets", "data", "movies.json")) as f:
    movies = json.load(f)

out = {"source": "vega-datasets/data/movies.json", "pairs": []}
for column in ["Worldwide Gross", "US Gross", "Production Budget", "US DVD Sales"]:
    values = [m[column] for m in movies if isinstance(m.get(column), (int, float))]
    train = np.array(values[0::2], dtype=float)
    live = np.array(values[1::2], dtype=float)
    std = float(train.std(ddof=1))
    for name, x in [("clean", live), ("shift_0.5sd", live + 0.5 * std), ("scale_1.5", live * 1.5)]:
        out["pairs"].append({
            "column": column, "pair": name, "n_train": int(train.size), "n_live": int(x.size), "std": std,
            "ks": float(ks_2samp(train, x).statistic),
            "wasserstein_norm": float(wasserstein_distance(train, x) / std),
        })
dest = os.path.join(ROOT, "test", "fixtures", "exact-tests-golden.json")
with open(dest, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"wrote {len(out['pairs'])} pairs to {os.path.normpath(dest)}")
