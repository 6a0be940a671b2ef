/**
 * A self-signed certificate for the emulator's optional TLS, made at start with the `openssl`
 * command (no crypto dependency), valid for 127.0.0.1, localhost and the configured host.
 * Clients trust it through the PEM the handle exposes (or NODE_EXTRA_CA_CERTS).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EmulatorOptionsError } from './validation.js';

const run = promisify(execFile);

export interface Certificate {
  key: string;
  cert: string;
}

export async function generateCertificate(host: string): Promise<Certificate> {
  const names = new Set(['IP:127.0.0.1', 'DNS:localhost']);
  if (host !== '0.0.0.0' && host !== '::') names.add(isIP(host) ? `IP:${host}` : `DNS:${host}`);
  const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-emulator-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '7',
      '-subj',
      '/CN=gemini-lanes emulator',
      '-addext',
      `subjectAltName=${[...names].join(',')}`,
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } catch (error) {
    const failure = error as { code?: unknown; syscall?: unknown };
    if (failure.code === 'ENOENT' && failure.syscall === 'spawn openssl') {
      throw new EmulatorOptionsError(
        'network.tls',
        'needs the openssl command to make a certificate, and it is not on PATH',
      );
    }
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
