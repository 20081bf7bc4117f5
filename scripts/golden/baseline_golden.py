"""Writes the baseline fixtures (CSV, JSON Lines, Parquet of the same rows) and the profile expected
of them, computed independently with NumPy by the rules README.md documents:

- missing: empty cell, null, NaN; invalid values count as missing too
- numeric: min, max, mean, sample std (ddof=1); edges = unique(numpy.quantile(x, i/bins), linear);
  bins [-inf, e1), [e1, e2), ..., [em, inf): counts = bincount(searchsorted(edges, x, 'right'))
- categorical: value counts, the top `limit` by (-count, value)
- text: lowercase, tokens = maximal runs of Unicode letters, marks and numbers (unicodedata
  categories L*, M*, N*); tokens per document: mean, std (ddof=1), min, max; vocabulary = top by (-count, token)

Run: python3 scripts/golden/baseline_golden.py   (pip install -r scripts/golden/requirements.txt)
"""
import csv
import datetime as dt
import json
import os
import unicodedata
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "baseline")
BINS = 10
rng = np.random.default_rng(7)
N = 600

WORDS = ["the", "service", "was", "great", "slow", "café", "naïve", "app", "crashed", "again", "price", "too",
         "high", "love", "it", "support", "helpful", "2024", "x2", "über"]
PLANS = ["basic", "gold", "platinum"]
CITIES = [f"city{i:02d}" for i in range(40)]

rows = []
for i in range(N):
    age = int(rng.integers(18, 80)) if rng.random() > 0.05 else None
    income = round(float(rng.lognormal(10, 0.6)), 2) if rng.random() > 0.03 else None
    plan = PLANS[int(rng.choice(3, p=[0.5, 0.3, 0.2]))] if rng.random() > 0.04 else None
    city = CITIES[min(39, int(rng.exponential(8)))]
    n_words = int(rng.integers(4, 12))
    comment = " ".join(WORDS[int(rng.integers(0, len(WORDS)))] for _ in range(n_words))
    comment = comment.capitalize() + ("!" if i % 3 == 0 else ".")
    if rng.random() < 0.05:
        comment = None
    active = bool(rng.random() > 0.3)
    signup = f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
    score = round(float(rng.beta(2, 5)), 4)
    churned = "yes" if rng.random() < score else "no"
    rows.append({"id": f"c{i:05d}", "age": age, "income": income, "plan": plan, "city": city,
                 "comment": comment, "active": active, "signup": signup, "score": score, "churned": churned})

cols = list(rows[0].keys())

def csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

with open(os.path.join(OUT, "train.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(cols)
    for r in rows:
        w.writerow([csv_cell(r[c]) for c in cols])
with open(os.path.join(OUT, "train.jsonl"), "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
table = pa.table({
    "id": pa.array([r["id"] for r in rows], pa.string()),
    "age": pa.array([r["age"] for r in rows], pa.int64()),
    "income": pa.array([r["income"] for r in rows], pa.float64()),
    "plan": pa.array([r["plan"] for r in rows], pa.string()),
    "city": pa.array([r["city"] for r in rows], pa.string()),
    "comment": pa.array([r["comment"] for r in rows], pa.string()),
    "active": pa.array([r["active"] for r in rows], pa.bool_()),
    "signup": pa.array([r["signup"] for r in rows], pa.string()),
    "score": pa.array([r["score"] for r in rows], pa.float64()),
    "churned": pa.array([r["churned"] for r in rows], pa.string()),
})
# several row groups, so the reader's chunking is exercised
pq.write_table(table, os.path.join(OUT, "train.parquet"), row_group_size=128)

def tokenize(text):
    out, cur = [], []
    for ch in text.lower():
        if unicodedata.category(ch)[0] in "LMN":
            cur.append(ch)
        elif cur:
            out.append("".join(cur)); cur = []
    if cur:
        out.append("".join(cur))
    return out

def base(values):
    present = [v for v in values if v is not None]
    return {"count": len(values), "na_count": len(values) - len(present), "na_rate": (len(values) - len(present)) / len(values),
            "invalid_count": 0}, present

def numeric(values):
    p, present = base(values)
    x = np.array(present, dtype=float)
    edges = np.unique(np.quantile(x, [i / BINS for i in range(1, BINS)]))
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
    p.update(type="numeric", numeric={"min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
             "std": float(x.std(ddof=1)), "quantile_method": "exact",
             "bins": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
             "fine_bins": fine_bins(x)})
    return p

def fine_bins(x, bins=100):
    # 100 equal-frequency edges; an edge holding at least n / 200 tied values gets a second edge at the
    # next double above it (its point mass a bin of its own); counts and the mean of each bin's values
    edges = []
    for e in np.unique(np.quantile(x, [i / bins for i in range(1, bins)])):
        edges.append(float(e))
        if np.count_nonzero(x == e) >= len(x) / (2 * bins):
            edges.append(float(np.nextafter(e, np.inf)))
    edges = sorted(set(edges))
    idx = np.searchsorted(edges, x, side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1)
    sums = np.bincount(idx, weights=x, minlength=len(edges) + 1)
    means = [float(sums[i] / counts[i]) if counts[i] else (edges[i - 1] if i > 0 else edges[0]) for i in range(len(counts))]
    return {"edges": edges, "counts": [int(c) for c in counts], "means": means}

def top(counter, limit):
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])

def categorical(values, limit=10000):
    p, present = base(values)
    c = Counter(present)
    kept = top(c, limit)
    other = len(present) - sum(kept.values())
    # Good-Turing: values seen once, plus the mass past the kept list, over all values
    singletons = sum(1 for n in kept.values() if n == 1)
    p.update(type="categorical", categorical={"distinct": len(c), "values": kept,
             "other_count": other, "approximate": False,
             "expected_unseen_rate": (singletons + other) / len(present)})
    return p

def text(values, limit=50000):
    p, present = base(values)
    toks = [tokenize(v) for v in present]
    per = np.array([len(t) for t in toks], dtype=float)
    c = Counter(t for ts in toks for t in ts)
    kept_vocab = top(c, limit)
    total = int(per.sum())
    # tokens: Good-Turing's singletons plus the repeated tokens past the cap; documents: leave one
    # document out (a token only that document holds), combined with meeting a past-the-cap token
    singletons = sum(1 for n in c.values() if n == 1)
    past = sum(n for t, n in c.items() if n > 1 and t not in kept_vocab)
    df = Counter(t for ts in toks for t in set(ts))
    unique_docs = sum(1 for ts in toks if any(df[t] == 1 for t in ts))
    p_past = 1 - (1 - past / total) ** float(per.mean())
    expected_docs = 1 - (1 - unique_docs / len(toks)) * (1 - p_past)
    p.update(type="text", text={"tokenizer": "mlmon-word-v1", "tokens_total": total,
             "expected_oov_rate": (singletons + past) / total, "expected_docs_with_oov_rate": expected_docs,
             "tokens_per_doc": {"mean": float(per.mean()), "std": float(per.std(ddof=1)), "min": float(per.min()), "max": float(per.max())},
             "vocabulary": top(c, limit), "vocabulary_seen": len(c), "vocabulary_limit": limit,
             "vocabulary_truncated": len(c) > limit, "approximate": False})
    return p

def boolean(values):
    p, present = base(values)
    p.update(type="boolean", boolean={"true": sum(1 for v in present if v), "false": sum(1 for v in present if not v)})
    return p

def datetime(values):
    # profiled like a number on epoch milliseconds (UTC dates), plus the range as ISO strings
    epoch = [None if v is None else dt.datetime.fromisoformat(v).replace(tzinfo=dt.timezone.utc).timestamp() * 1000
             for v in values]
    p = numeric(epoch)
    present = [v for v in values if v is not None]
    p.update(type="datetime", datetime={"min": min(present) + "T00:00:00.000Z", "max": max(present) + "T00:00:00.000Z"})
    return p

col = lambda name: [r[name] for r in rows]
expected = {
    "rows": N,
    "features": {
        "active": boolean(col("active")),
        "age": numeric(col("age")),
        "city": categorical(col("city")),
        "comment": text(col("comment")),
        "income": numeric(col("income")),
        "plan": categorical(col("plan")),
        "signup": datetime(col("signup")),
    },
    "prediction": dict(numeric(col("score")), column="score"),
    "label": dict(categorical(col("churned")), column="churned"),
}

def numeric_bins(values, bins):
    x = np.array([v for v in values if v is not None], dtype=float)
    edges = np.unique(np.quantile(x, [i / bins for i in range(1, bins)]))
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}

expected["small_limits"] = {
    "bins": 4,
    "vocabulary_limit": 5,
    "age_bins": numeric_bins(col("age"), 4),
    "comment_vocabulary": top(Counter(t for v in col("comment") if v is not None for t in tokenize(v)), 5),
    # the expected OOV rates against the truncated vocabulary of 5 tokens
    "comment_expected": {k: text(col("comment"), limit=5)["text"][k]
                         for k in ("expected_oov_rate", "expected_docs_with_oov_rate")},
}
with open(os.path.join(OUT, "schema.yml"), "w") as f:
    f.write("# the id column is not a model input\nfeatures:\n  id:\n    ignore: true\nprediction_column: score\nlabel_column: churned\n")
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False, sort_keys=True)
    f.write("\n")
print(f"wrote {N} rows and expected.json to {os.path.normpath(OUT)}")
