"""Golden values for src/metrics/stats.ts, computed with SciPy and NumPy by the definitions README.md
gives (binned KS with the asymptotic Kolmogorov p-value, chi-squared homogeneity without Yates,
Jensen-Shannon distance base 2, L-infinity, PSI with proportions floored at 1e-4, Wasserstein-1 with
bin mass at the lower boundary divided by max(std, 0.001), mean shift in standard errors).

Run: python3 scripts/golden/stats_golden.py   (pip install -r scripts/golden/requirements.txt)
"""
import json
import os

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "stats-golden.json")
rng = np.random.default_rng(11)
cases = []
for i in range(40):
    k = int(rng.integers(2, 21))
    e = rng.integers(0, 500, size=k)
    shift = rng.normal(0, 0.3 if i % 2 else 0.02, size=k)
    a = np.maximum(0, np.round(e * np.exp(shift) * rng.uniform(0.05, 3))).astype(int)
    if i % 5 == 0:
        e[int(rng.integers(0, k))] = 0  # empty bins in the baseline
    if i % 7 == 0:
        a[int(rng.integers(0, k))] = 0
    if e.sum() == 0:
        e[0] = 1
    if a.sum() == 0:
        a[0] = 1
    edges = np.sort(rng.normal(0, 10, size=k - 1))
    mn = float(edges[0] - abs(rng.normal(5, 1)))
    std = float(abs(rng.normal(4, 2)))
    pe, pa = e / e.sum(), a / a.sum()
    fe, fa = np.maximum(pe, 1e-4), np.maximum(pa, 1e-4)
    psi = float(np.sum((fa - fe) * np.log(fa / fe)))
    d = float(np.max(np.abs(np.cumsum(pe) - np.cumsum(pa))))
    en = e.sum() * a.sum() / (e.sum() + a.sum())
    ks_p = float(special.kolmogorov(np.sqrt(en) * d))
    keep = (e + a) > 0
    table = np.array([e[keep], a[keep]])
    if table.shape[1] >= 2:
        chi2, chi_p, dof, _ = stats.chi2_contingency(table, correction=False)
    else:
        chi2, chi_p, dof = 0.0, 1.0, 0
    js = float(distance.jensenshannon(pe, pa, base=2))
    linf = float(np.max(np.abs(pe - pa)))
    points = np.concatenate([[mn], edges])
    w = float(stats.wasserstein_distance(points, points, e, a)) / max(std, 0.001)
    cases.append({"expected": e.tolist(), "actual": a.tolist(), "edges": edges.tolist(), "min": mn, "std": std,
                  "psi": psi, "ks": d, "ks_p": ks_p, "chi2": float(chi2), "chi2_p": float(chi_p), "chi2_dof": int(dof),
                  "js": js, "linf": linf, "wasserstein": w})
kolmogorov = [{"z": float(z), "sf": float(special.kolmogorov(z))} for z in [0.05, 0.1, 0.3, 0.5, 0.8, 0.99, 1.0, 1.2, 1.36, 2.0, 3.0]]
mean_shift = [{"bm": 10.0, "bs": 2.0, "wm": 10.5, "n": 400, "se": (10.5 - 10.0) / (2.0 / np.sqrt(400))}]
with open(OUT, "w") as f:
    json.dump({"cases": cases, "kolmogorov": kolmogorov, "mean_shift": mean_shift}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
