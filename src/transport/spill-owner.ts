import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { DIR_MODE } from './spill-dir.js';

/**
 * Who owns a folder of segments, by a lock the operating system releases when the process dies.
 *
 * Why a unix-domain socket and not PID + hostname or flock: after a container restart the PID (1)
 * and the hostname repeat, so a dead owner looks alive. Node has no flock(2), and the packages
 * that wrap it (fs-ext, os-lock) compile a native addon at install, which many installs cannot do. Instead the owner listens on a socket file in
 * its folder: while it runs, connecting succeeds; once it is gone, for whatever reason (SIGKILL,
 * OOM, power), the kernel closes the listening socket and connecting is refused (ECONNREFUSED),
 * whatever PID namespace or container asks, as long as it sees the same folder on the same host.
 * A network file system shared by several hosts is not supported (the socket does not cross hosts).
 */
export const SOCKET_NAME = 's';
/** a folder being set up: not adopted, not yet listed as an owner */
export const CLAIMING_PREFIX = '.claim-';
/** sun_path is 108 bytes on Linux (104 on macOS) including the terminating NUL */
const MAX_SOCKET_PATH = 103;

export class OwnedDir {
  private constructor(
    readonly dir: string,
    private readonly server: Server,
  ) {}

  /**
   * A new folder under `baseDir` owned by this process: bound and listening before it gets its
   * final name, so another process never sees it without an owner.
   */
  static claim(baseDir: string): OwnedDir {
    const name = randomBytes(4).toString('hex');
    const temp = join(baseDir, `${CLAIMING_PREFIX}${name}`);
    const dir = join(baseDir, name);
    if (Buffer.byteLength(join(temp, SOCKET_NAME)) > MAX_SOCKET_PATH)
      throw new Error(`the path ${baseDir} is too long for the ownership socket: choose a shorter spillDir`);
    // not recursive: the parent is checked already, and a read-only disk then says EROFS
    mkdirSync(temp, { mode: DIR_MODE });
    const server = createServer((socket) => socket.destroy());
    // a failure to bind arrives as an event; binding itself is synchronous, so `listening` tells now
    server.on('error', () => undefined);
    server.listen(join(temp, SOCKET_NAME));
    if (!server.listening) {
      server.close();
      rmSync(temp, { recursive: true, force: true });
      throw new Error(`cannot listen on the ownership socket in ${baseDir}`);
    }
    // the owner alone never keeps the process alive
    server.unref();
    renameSync(temp, dir);
    return new OwnedDir(dir, server);
  }

  /** Gives up ownership: from now on another process (or transport) may adopt what is left. */
  release(): void {
    this.server.close();
    rmSync(join(this.dir, SOCKET_NAME), { force: true });
  }
}

/** true while a process listens on the folder's socket; false once it is gone (or never was). */
export function ownerAlive(dir: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(join(dir, SOCKET_NAME));
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      // refused: the socket file outlived its process; absent: released or never claimed.
      // Anything else (EACCES, EAGAIN for a full backlog) cannot prove the owner gone.
      done(!(err.code === 'ECONNREFUSED' || err.code === 'ENOENT')),
    );
  });
}
