import fc from 'fast-check';

/** Anything an application might pass, including what JSON cannot hold. */
export const anyPayload = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withMap: true,
  withSet: true,
  withBoxedValues: true,
  withNullPrototype: true,
  withObjectString: true,
});

export const anyPrediction = fc.record(
  {
    model: fc.oneof(fc.string(), fc.constant(undefined), anyPayload),
    version: fc.oneof(fc.string(), fc.integer(), anyPayload),
    features: anyPayload,
    prediction: anyPayload,
    latencyMs: fc.oneof(fc.double(), anyPayload),
    id: fc.oneof(fc.string(), anyPayload),
    timestamp: fc.oneof(fc.date(), fc.integer(), fc.string(), anyPayload),
    context: anyPayload,
  },
  { requiredKeys: [] },
);
