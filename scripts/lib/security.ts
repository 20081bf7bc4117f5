import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SecurityInfo {
  username: string;
  password: string;
  caFile: string;
  caFingerprint: string;
}

/** Where a secured node's certificates live, inside its private config directory. */
export function certPaths(conf: string) {
  const dir = join(conf, 'certs');
  return {
    dir,
    caKey: join(dir, 'ca.key'),
    caCert: join(dir, 'ca.crt'),
    key: join(dir, 'node.key'),
    cert: join(dir, 'node.crt'),
  };
}

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A self-signed CA and a node certificate for 127.0.0.1 (openssl), and the `elastic` user's
 * password as the keystore's bootstrap password: HTTPS and authentication as on a real cluster.
 */
export function prepareSecurity(conf: string, home: string, env: NodeJS.ProcessEnv): SecurityInfo {
  const p = certPaths(conf);
  mkdirSync(p.dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=mlmon test CA',
      '-keyout',
      p.caKey,
      '-out',
      p.caCert,
    ],
    p.dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      p.key,
      '-out',
      join(p.dir, 'node.csr'),
    ],
    p.dir,
  );
  const ext = join(p.dir, 'san.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${ext}'`]);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      join(p.dir, 'node.csr'),
      '-CA',
      p.caCert,
      '-CAkey',
      p.caKey,
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      p.cert,
    ],
    p.dir,
  );
  // serve the chain (node, then CA) as a CA-issued cluster does: clients pinning the CA's fingerprint find it
  writeFileSync(p.cert, `${readFileSync(p.cert, 'utf8')}${readFileSync(p.caCert, 'utf8')}`);
  const fingerprint =
    openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', p.caCert], p.dir).split('=')[1]?.trim() ??
    '';
  const password = randomBytes(12).toString('hex');
  const keystore = join(home, 'bin', 'elasticsearch-keystore');
  execFileSync(keystore, ['create'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync(keystore, ['add', '-x', '-f', 'bootstrap.password'], {
    env,
    input: password,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return { username: 'elastic', password, caFile: p.caCert, caFingerprint: fingerprint };
}

export function securitySettings(conf: string): Record<string, string | boolean> {
  const p = certPaths(conf);
  return {
    'xpack.security.enabled': true,
    'xpack.security.http.ssl.enabled': true,
    'xpack.security.http.ssl.key': p.key,
    'xpack.security.http.ssl.certificate': p.cert,
    'xpack.security.http.ssl.certificate_authorities': p.caCert,
    // API keys for the shipper and job roles (setup issue)
    'xpack.security.authc.api_key.enabled': true,
  };
}
