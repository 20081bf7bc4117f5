"""Known-truth late labels for test/integration/labels-performance.test.ts, with scikit-learn's values.

Three models on real public data (vega-datasets, in node_modules):
- "species": penguins.json, three classes; the prediction is a rule on flipper and beak length.
- "usa": cars.json, is the car American ("yes"/"no"); the prediction is { label, score } with the
  score a logistic function of the weight (the probability of "yes", the positive class: the greater
  of the two in sorted order, as scikit-learn takes it).
- "mpg": cars.json, miles per gallon; the prediction a linear function of the weight; one extra
  prediction whose truth is 0 (left out of MAPE by the guard).

Each model has predictions in the window [0, 1h) (offsets in ms from the test's start), a few before
it, and label events: ~75% of the window's predictions labelled; some sent twice, some resent later
with the same label, some corrected (a wrong label, then the right one later in time, sent in either
order), some sent before any prediction is logged, labels for unknown ids inside and after the window,
labels of the predictions before the window. The expected values are computed from the final (latest)
label of each of the window's predictions.

Run: python scripts/golden/performance_golden.py (numpy, scikit-learn: requirements.txt).
"""
import json
import math
import os

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DATA = os.path.join(ROOT, "node_modules", "vega-datasets", "data")
HOUR = 3_600_000
MAPE_MIN_ABS_TRUTH = 1e-9  # src/contract/limits.ts LABEL_LIMITS.mapeMinAbsTruth
rng = np.random.default_rng(20260415)


def load(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


def species_rows():
    rows = []
    for p in load("penguins.json"):
        f, b = p.get("Flipper Length (mm)"), p.get("Beak Length (mm)")
        if not isinstance(f, (int, float)) or not isinstance(b, (int, float)):
            continue
        pred = "Gentoo" if f >= 206 else "Chinstrap" if b >= 44 else "Adelie"
        rows.append({"truth": p["Species"], "prediction": pred})
    return rows


def usa_rows():
    rows = []
    for c in load("cars.json"):
        w = c.get("Weight_in_lbs")
        if not isinstance(w, (int, float)):
            continue
        score = round(1 / (1 + math.exp(-(w - 2800) / 400)), 12)
        rows.append({
            "truth": "yes" if c["Origin"] == "USA" else "no",
            "prediction": {"label": "yes" if score >= 0.5 else "no", "score": score},
        })
    return rows


def mpg_rows():
    rows = []
    for c in load("cars.json"):
        w, mpg = c.get("Weight_in_lbs"), c.get("Miles_per_Gallon")
        if not isinstance(w, (int, float)) or not isinstance(mpg, (int, float)):
            continue
        rows.append({"truth": float(mpg), "prediction": round(46.3 - 0.00767 * w, 6)})
    rows.append({"truth": 0.0, "prediction": 1.5})
    return rows


def wrong_label(kind, truth, classes):
    if kind == "regression":
        return truth + 5.0
    others = [c for c in classes if c != truth]
    return others[int(rng.integers(len(others)))]


def scenario(model, kind, rows):
    n = len(rows)
    classes = sorted({r["truth"] for r in rows}) if kind != "regression" else []
    predictions = []
    for i, r in enumerate(rows):
        predictions.append({"id": f"{model}-{i}", "at": int(i * HOUR // n), "prediction": r["prediction"]})
    # predictions before the window: labelled, never part of it
    for k in range(10):
        r = rows[k]
        predictions.append({"id": f"{model}-before-{k}", "at": -HOUR + k * 1000, "prediction": r["prediction"]})
    events = []
    final = {}
    for i, r in enumerate(rows):
        if rng.random() >= 0.75:
            continue
        pid = f"{model}-{i}"
        at = predictions[i]["at"] + int(rng.integers(60_000, 2 * 24 * HOUR))
        early = bool(rng.random() < 0.2)
        final[pid] = (r["truth"], at - predictions[i]["at"])
        u = rng.random()
        if u < 0.1:  # sent twice: one document
            events += [{"id": pid, "label": r["truth"], "at": at, "early": early}] * 2
        elif u < 0.2:  # resent later with the same label: two documents, one label; the later time is the delay
            events.append({"id": pid, "label": r["truth"], "at": at - 1000, "early": early})
            events.append({"id": pid, "label": r["truth"], "at": at, "early": False})
        elif u < 0.35:  # corrected: a wrong label first in time, in either sending order
            pair = [
                {"id": pid, "label": wrong_label(kind, r["truth"], classes), "at": at - 60_000, "early": False},
                {"id": pid, "label": r["truth"], "at": at, "early": early},
            ]
            if rng.random() < 0.5:
                pair.reverse()
            events += pair
        else:
            events.append({"id": pid, "label": r["truth"], "at": at, "early": early})
    for k in range(10):
        truth = rows[k]["truth"]
        events.append({"id": f"{model}-before-{k}", "label": truth, "at": 10_000 + k, "early": False})
    unknown = 5
    for k in range(unknown):
        label = rows[k]["truth"]
        events.append({"id": f"{model}-ghost-{k}", "label": label, "at": 600_000 + k, "early": k % 2 == 0})
    for k in range(3):  # unknown, but timestamped after the window: not this window's
        events.append({"id": f"{model}-ghost-after-{k}", "label": rows[k]["truth"], "at": HOUR + 5000 + k, "early": False})
    order = rng.permutation(len(events))
    events = [events[j] for j in order]

    ids = [p["id"] for p in predictions[:n] if p["id"] in final]
    idx = {p["id"]: i for i, p in enumerate(predictions[:n])}
    y_true = [final[pid][0] for pid in ids]
    delays = np.array([final[pid][1] for pid in ids], dtype=float)
    expected = {
        "labeled": len(ids),
        "predictions": n,
        "coverage": len(ids) / n,
        "unknown_labels": unknown,
        "label_delay_ms": dict(zip(["p50", "p90", "p99"], map(float, np.percentile(delays, [50, 90, 99])))),
    }
    if kind == "regression":
        y_pred = [rows[idx[pid]]["prediction"] for pid in ids]
        yt, yp = np.array(y_true), np.array(y_pred)
        keep = np.abs(yt) >= MAPE_MIN_ABS_TRUTH
        expected.update({
            "task": "regression",
            "mae": float(mean_absolute_error(yt, yp)),
            "rmse": float(math.sqrt(mean_squared_error(yt, yp))),
            "mape": float(mean_absolute_percentage_error(yt[keep], yp[keep])),
            "mape_excluded": int((~keep).sum()),
            "mean_error": float(np.mean(yp - yt)),
            "r2": float(r2_score(yt, yp)),
        })
    else:
        pred_of = lambda p: p["label"] if isinstance(p, dict) else p
        y_pred = [pred_of(rows[idx[pid]]["prediction"]) for pid in ids]
        labels = sorted(set(y_true) | set(y_pred))
        p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
        mp, mr, mf, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average="macro", zero_division=0
        )
        expected.update({
            "task": "classification",
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "precision": float(mp),
            "recall": float(mr),
            "f1": float(mf),
            "per_class": {
                c: {"precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]), "support": int(s[k])}
                for k, c in enumerate(labels)
            },
            "confusion_matrix": {
                "labels": labels,
                "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
            },
        })
        if kind == "binary":
            scores = np.array([rows[idx[pid]]["prediction"]["score"] for pid in ids])
            positive = np.array([t == "yes" for t in y_true], dtype=int)
            expected.update({
                "positive_class": "yes",
                "roc_auc": float(roc_auc_score(positive, scores)),
                "log_loss": float(log_loss(positive, scores, labels=[0, 1])),
            })
    return {"model": model, "kind": kind, "predictions": predictions, "events": events, "expected": expected}


out = {
    "source": "vega-datasets/data/penguins.json, cars.json; scikit-learn metrics",
    "window_ms": HOUR,
    "scenarios": [
        scenario("species", "multiclass", species_rows()),
        scenario("usa", "binary", usa_rows()),
        scenario("mpg", "regression", mpg_rows()),
    ],
}
dest = os.path.join(ROOT, "test", "fixtures", "performance-golden.json")
with open(dest, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
for s in out["scenarios"]:
    e = s["expected"]
    print(s["model"], len(s["predictions"]), "predictions", len(s["events"]), "label events", e["labeled"], "labelled")
print(f"wrote {os.path.normpath(dest)}")
