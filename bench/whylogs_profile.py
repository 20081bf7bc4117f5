"""Profiles a CSV with whylogs, streaming it in chunks; prints rows, seconds and peak RSS as JSON.

The peer figure for table 6 of BENCHMARKS.md (bench/scenarios/baseline.ts runs it in a venv).
"""
import json
import resource
import sys
import time

import pandas as pd
import whylogs as why

path = sys.argv[1]
start = time.perf_counter()
rows = 0
merged = None
for chunk in pd.read_csv(path, chunksize=100_000):
    view = why.log(chunk).view()
    merged = view if merged is None else merged.merge(view)
    rows += len(chunk)
seconds = time.perf_counter() - start
columns = len(merged.get_columns()) if merged is not None else 0
print(json.dumps({
    "rows": rows,
    "seconds": seconds,
    "columns": columns,
    # ru_maxrss is KiB on Linux
    "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "whylogs": why.__version__,
    "pandas": pd.__version__,
}))
