import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { Baseline } from '../contract/baseline-document.js';
import { MlmonError } from '../contract/errors.js';
import {
  expectedFieldTypes,
  type FieldCapsBody,
  fieldTypeMismatches,
  mismatchText,
} from '../contract/field-types.js';

/**
 * A window query the cluster refuses with 400 (typically `search_phase_execution_exception`: all
 * shards failed aggregating a `text` field) is almost always a stream mapped without our template.
 * Ask `_field_caps` which field, in which index, has which type, and say the fix. The raw error is
 * kept as the cause (printed with `--verbose`).
 */
export async function diagnoseWindowFailure(
  client: Client,
  index: string,
  b: Baseline,
  err: unknown,
): Promise<MlmonError | undefined> {
  if (!(err instanceof errors.ResponseError) || err.meta.statusCode !== 400) return undefined;
  const expected = expectedFieldTypes([b]);
  let caps: FieldCapsBody;
  try {
    caps = (await client.fieldCaps({
      index,
      fields: Object.keys(expected),
      include_unmapped: true,
      ignore_unavailable: true,
      allow_no_indices: true,
    })) as FieldCapsBody;
  } catch {
    return undefined;
  }
  const mismatches = fieldTypeMismatches(caps, expected);
  if (!mismatches.length) return undefined;
  return new MlmonError(`the window query on ${index} failed: ${mismatches.map(mismatchText).join('; ')}`, {
    exit: 'mapping',
    fix: '`mlmon setup --check` names the cause; `mlmon setup --repair` replaces a stream created before setup (README, "Repair")',
    cause: err,
  });
}
