import { lstatSync, mkdirSync } from 'node:fs';

/** The disk buffer's folder is refused: the transport warns and keeps documents in memory only. */
export class UnsafeSpillDirError extends Error {
  override readonly name = 'UnsafeSpillDirError';
}

/** Folders are created for the user alone; segment files likewise (`SEGMENT_MODE`). */
export const DIR_MODE = 0o700;
export const SEGMENT_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) 0700, then checks that the folder is one the user can trust
 * with prediction inputs: a real directory (not a symbolic link), owned by this process's user,
 * and not writable by group or others (who could plant or remove segments). A folder another user
 * created first is refused, not used. Windows has no owner ids: only the directory check applies.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new UnsafeSpillDirError(`${dir} is not a directory (a symbolic link?)`);
  const uid = process.getuid?.();
  if (uid === undefined) return;
  if (st.uid !== uid)
    throw new UnsafeSpillDirError(`${dir} belongs to another user (uid ${st.uid}, we are ${uid})`);
  if ((st.mode & 0o022) !== 0)
    throw new UnsafeSpillDirError(
      `${dir} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); make it 0700`,
    );
}
