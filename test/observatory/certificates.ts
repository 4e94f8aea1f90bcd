import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** The CA's certificate file, for NODE_EXTRA_CA_CERTS: the scanner then counts the chain as valid. */
  caFile: string;
  /** The server's key and certificate (for `localhost` and 127.0.0.1), signed by that CA. */
  key: string;
  cert: string;
  cleanup(): void;
}

export const hasOpenssl = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * A one-day CA and a server certificate it signs, made with the openssl command. A CA rather than one self-signed
 * certificate: Node refuses a self-signed leaf even when it is trusted through NODE_EXTRA_CA_CERTS.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'sw-observatory-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  const subject = (cn: string): string[] => ['-subj', `/CN=${cn}`];
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject('Shieldwall test CA'),
    '-keyout', file('ca.key'), '-out', file('ca.pem')); // prettier-ignore
  openssl('req', '-newkey', 'rsa:2048', '-nodes', ...subject('localhost'),
    '-keyout', file('server.key'), '-out', file('server.csr')); // prettier-ignore
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-days', '1', '-extfile', file('server.ext'), '-out', file('server.pem')); // prettier-ignore
  return {
    caFile: file('ca.pem'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
