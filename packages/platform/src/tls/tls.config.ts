import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../config/config.error';
import { isLoopbackHost, parseHostPort } from '../config/schema.helpers';

/** Every Confide TLS listener and client speaks TLS 1.3 and nothing else (ARCHITECTURE.md, promise 1). */
export const TLS_VERSION = 'TLSv1.3' as const;

/** Largest certificate / key / CA bundle file read (a PEM bundle is a few KiB). */
const MAX_PEM_FILE_BYTES = 1024 * 1024;

const zFilePath = z.string().trim().min(1, 'must be a file path');

/**
 * Environment variables of TLS, to spread into a service's config schema
 * (`z.object({ ...ownShape, ...tlsEnvShape }).superRefine(refineTlsEnv({ ... }))`):
 * - `TLS_CERT_FILE` + `TLS_KEY_FILE`: PEM certificate chain (leaf first) and unencrypted PEM
 *   private key of this service. Set both or neither; set, every listener serves TLS 1.3 and
 *   gRPC clients present the certificate (mTLS client identity).
 * - `TLS_CA_FILE`: PEM bundle of the CA(s) peers are verified against. Needs the pair above.
 *   Set, gRPC listeners require a client certificate signed by it (mTLS) and clients verify
 *   servers against it instead of the system roots.
 */
export const tlsEnvShape = {
  TLS_CERT_FILE: zFilePath.optional(),
  TLS_KEY_FILE: zFilePath.optional(),
  TLS_CA_FILE: zFilePath.optional(),
};

/** The TLS variables as parsed (file paths, not contents). */
export interface TlsEnv {
  TLS_CERT_FILE?: string | undefined;
  TLS_KEY_FILE?: string | undefined;
  TLS_CA_FILE?: string | undefined;
}

/** True when the environment asks for TLS (certificate and key set). */
export function tlsConfigured(env: TlsEnv): boolean {
  return env.TLS_CERT_FILE !== undefined && env.TLS_KEY_FILE !== undefined;
}

export interface RefineTlsEnvOptions {
  /**
   * Listen address variables ("host:port") of this service: a non-loopback host is only
   * accepted when TLS is configured (plaintext listeners are loopback only).
   */
  listenAddressVariables?: readonly string[];
}

/**
 * Cross-field checks of the TLS variables, for `.superRefine(...)` on a service's schema:
 * certificate and key come as a pair, the CA needs them, and a listen address outside
 * loopback needs TLS. Issues name the variable, never a value.
 */
export function refineTlsEnv(
  options: RefineTlsEnvOptions = {},
): (env: TlsEnv & Record<string, unknown>, ctx: z.RefinementCtx) => void {
  return (env, ctx) => {
    const hasCert = env.TLS_CERT_FILE !== undefined;
    const hasKey = env.TLS_KEY_FILE !== undefined;
    // Issues sit on the variable that is set (loadConfig reports an unset one as just "required").
    if (hasCert && !hasKey) ctx.addIssue({ code: 'custom', path: ['TLS_CERT_FILE'], message: 'needs TLS_KEY_FILE as well' });
    if (hasKey && !hasCert) ctx.addIssue({ code: 'custom', path: ['TLS_KEY_FILE'], message: 'needs TLS_CERT_FILE as well' });
    if (env.TLS_CA_FILE !== undefined && !(hasCert && hasKey)) {
      ctx.addIssue({ code: 'custom', path: ['TLS_CA_FILE'], message: 'needs TLS_CERT_FILE and TLS_KEY_FILE (mTLS presents this service\'s certificate)' });
    }
    if (hasCert && hasKey) return;
    for (const variable of options.listenAddressVariables ?? []) {
      const value = env[variable];
      if (typeof value !== 'string') continue;
      const parsed = parseHostPort(value);
      if (parsed && !isLoopbackHost(parsed.host)) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: 'host must be loopback unless TLS is configured (set TLS_CERT_FILE and TLS_KEY_FILE)',
        });
      }
    }
  };
}

/** The TLS variables alone, validated (for a service that parses them separately). */
export const zTlsConfig = z.object(tlsEnvShape).superRefine(refineTlsEnv());

/**
 * A listen address "host:port" on any host. Use with `refineTlsEnv({ listenAddressVariables })`,
 * which refuses a non-loopback host unless TLS is configured.
 */
export const zTlsListenAddress = z.string().refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port' });

/**
 * Loaded TLS material of a service: its certificate chain and private key, and the CA bundle
 * peers are verified against (mTLS) when configured. The private key is held in a private
 * field: it is not an own property, so it never appears in JSON, logs or `inspect` output.
 */
export class TlsSettings {
  readonly #key: Buffer;

  private constructor(
    /** PEM certificate chain, leaf first. */
    readonly cert: Buffer,
    key: Buffer,
    /** PEM CA bundle; set = mutual TLS (peers must present a certificate signed by it). */
    readonly ca: Buffer | undefined,
    /** The service identity of the certificate: its `spiffe://` URI SAN, else its subject CN. */
    readonly identity: string | undefined,
  ) {
    this.#key = key;
  }

  /** PEM private key. Pass it to TLS APIs only; never log it. */
  get key(): Buffer {
    return this.#key;
  }

  /** Peers must present a certificate signed by `ca`. */
  get mutual(): boolean {
    return this.ca !== undefined;
  }

  /**
   * Validates PEM material (certificate parses and is currently valid, key parses and belongs
   * to the certificate, CA parses). Throws ConfigError naming `variables` (defaults: the
   * TLS_* names), never the contents.
   */
  static fromPem(
    pem: { cert: Buffer | string; key: Buffer | string; ca?: Buffer | string | undefined },
    variables: { cert: string; key: string; ca: string } = { cert: 'TLS_CERT_FILE', key: 'TLS_KEY_FILE', ca: 'TLS_CA_FILE' },
    now: Date = new Date(),
  ): TlsSettings {
    const issues: ConfigIssue[] = [];
    const cert = Buffer.from(pem.cert);
    const key = Buffer.from(pem.key);
    const ca = pem.ca === undefined ? undefined : Buffer.from(pem.ca);

    const leaf = parseCertificate(cert);
    if (!leaf) issues.push({ variable: variables.cert, problem: 'not a PEM certificate' });
    else {
      const validity = validityProblem(leaf, now);
      if (validity) issues.push({ variable: variables.cert, problem: validity });
    }
    const privateKey = parsePrivateKey(key);
    if (!privateKey) issues.push({ variable: variables.key, problem: 'not an unencrypted PEM private key' });
    if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
      issues.push({ variable: variables.key, problem: `does not belong to the certificate in ${variables.cert}` });
    }
    if (ca !== undefined) {
      const caCert = parseCertificate(ca);
      if (!caCert) issues.push({ variable: variables.ca, problem: 'not a PEM certificate bundle' });
      else if (!caCert.ca) issues.push({ variable: variables.ca, problem: 'is not a CA certificate (basicConstraints CA:TRUE)' });
      else {
        const validity = validityProblem(caCert, now);
        if (validity) issues.push({ variable: variables.ca, problem: validity });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return new TlsSettings(cert, key, ca, leaf ? certificateIdentity(leaf.subjectAltName, leaf.subject) : undefined);
  }

  /** What is safe to log: whether mTLS is on and the identity. */
  toJSON(): { mutual: boolean; identity: string | undefined } {
    return { mutual: this.mutual, identity: this.identity };
  }

  [inspect.custom](): string {
    return `TlsSettings { mutual: ${this.mutual}, identity: ${this.identity ?? 'unknown'} }`;
  }
}

/**
 * Reads the files named by TLS_CERT_FILE / TLS_KEY_FILE / TLS_CA_FILE (once, at start) and
 * validates them. Undefined when TLS is not configured (certificate and key unset). Throws
 * ConfigError naming each variable and its problem (missing file, unreadable, not PEM, key
 * not matching the certificate, expired...) — never the file contents or the path.
 */
export function loadTlsSettings(env: TlsEnv, now: Date = new Date()): TlsSettings | undefined {
  const issues: ConfigIssue[] = [];
  if (env.TLS_CERT_FILE !== undefined && env.TLS_KEY_FILE === undefined) issues.push({ variable: 'TLS_CERT_FILE', problem: 'needs TLS_KEY_FILE as well' });
  if (env.TLS_KEY_FILE !== undefined && env.TLS_CERT_FILE === undefined) issues.push({ variable: 'TLS_KEY_FILE', problem: 'needs TLS_CERT_FILE as well' });
  if (env.TLS_CA_FILE !== undefined && !tlsConfigured(env)) issues.push({ variable: 'TLS_CA_FILE', problem: 'needs TLS_CERT_FILE and TLS_KEY_FILE' });
  if (issues.length > 0) throw new ConfigError(issues);
  if (!tlsConfigured(env)) return undefined;

  const cert = readPemFile('TLS_CERT_FILE', env.TLS_CERT_FILE as string, issues);
  const key = readPemFile('TLS_KEY_FILE', env.TLS_KEY_FILE as string, issues);
  const ca = env.TLS_CA_FILE === undefined ? undefined : readPemFile('TLS_CA_FILE', env.TLS_CA_FILE, issues);
  if (issues.length > 0 || !cert || !key) throw new ConfigError(issues);
  return TlsSettings.fromPem({ cert, key, ca }, undefined, now);
}

function readPemFile(variable: string, path: string, issues: ConfigIssue[]): Buffer | undefined {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    issues.push({ variable, problem: fileProblem(err) });
    return undefined;
  }
  if (content.length === 0) {
    issues.push({ variable, problem: 'file is empty' });
    return undefined;
  }
  if (content.length > MAX_PEM_FILE_BYTES) {
    issues.push({ variable, problem: 'file is larger than 1 MiB' });
    return undefined;
  }
  return content;
}

function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'file not readable (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `file cannot be read${code ? ` (${code})` : ''}`;
  }
}

function parseCertificate(pem: Buffer): X509Certificate | undefined {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function parsePrivateKey(pem: Buffer): KeyObject | undefined {
  if (!pem.includes('PRIVATE KEY-----') || pem.includes('ENCRYPTED')) return undefined;
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return undefined;
  }
}

function validityProblem(cert: X509Certificate, now: Date): string | undefined {
  if (new Date(cert.validFrom).getTime() > now.getTime()) return 'certificate is not valid yet';
  if (new Date(cert.validTo).getTime() < now.getTime()) return 'certificate has expired';
  return undefined;
}

/** The `spiffe://` URI among the SANs of a certificate ("DNS:a, URI:spiffe://confide/x, ..."). */
export function spiffeIdFromSubjectAltName(subjectAltName: string | undefined): string | undefined {
  for (const entry of (subjectAltName ?? '').split(/,\s*/)) {
    const m = /^URI:(spiffe:\/\/\S+)$/.exec(entry.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** The `spiffe://` URI SAN, else the subject CN. */
function certificateIdentity(subjectAltName: string | undefined, subject: string): string | undefined {
  const spiffe = spiffeIdFromSubjectAltName(subjectAltName);
  if (spiffe) return spiffe;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(subject);
  return cn ? (cn[1] as string).trim() : undefined;
}
