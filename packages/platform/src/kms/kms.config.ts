import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../config/config.error';
import { parseHostPort, zDurationMs } from '../config/schema.helpers';
import type { Logger } from '../logging/logger';
import type { Kms } from './kms.port';
import { LocalKms } from './local.kms';
import { VaultTransitKms } from './vault-transit.kms';

/**
 * The KMS part of a service's environment (docs/adr/0010-key-hierarchy.md). Merge it into the
 * service schema (`z.object({ ...kmsEnvShape, ... })`) and build the KMS once at start with
 * `createKmsFromConfig`. The schema only checks shapes, so a composition that builds its KMS
 * otherwise (all-in-one) can load the same schema; which variables `KMS` requires is checked
 * by `createKmsFromConfig`, which names the variable and never echoes a value. The variables
 * have no schema defaults (so a schema that merges them parses as before when they are unset);
 * the defaults below (`KMS_DEFAULTS`) are applied where they are used.
 *
 * There is no token variable: the Vault token is read from `VAULT_TOKEN_FILE` (a Kubernetes
 * secret or Vault agent sink), so it never appears in an environment dump.
 */
export const kmsEnvShape = {
  /** `vault` (Vault / OpenBao Transit; every multi-process deployment) or `local` (one process, file keyring). */
  KMS: z.enum(['vault', 'local']).optional(),
  /** Vault / OpenBao address: https://..., plain http:// only to a loopback address. */
  VAULT_ADDR: z.string().min(1).optional(),
  /** File holding the Vault token (re-read when Vault answers 403). */
  VAULT_TOKEN_FILE: z.string().min(1).optional(),
  /** Transit mount path. */
  VAULT_TRANSIT_MOUNT: z.string().min(1).optional(),
  /** PEM CA bundle trusted for the Vault server (instead of the system roots). */
  VAULT_CA_FILE: z.string().min(1).optional(),
  /** Vault Enterprise / OpenBao namespace. */
  VAULT_NAMESPACE: z.string().min(1).optional(),
  /** Per-request timeout towards Vault; a timeout is "KMS unavailable" (retried, fail closed). */
  VAULT_TIMEOUT: zDurationMs.optional(),
  /** Folder of the local keyring (KMS=local; one process per folder). */
  KMS_LOCAL_DIR: z.string().min(1).optional(),
  /** Idle time after which a plaintext meeting data key is dropped from memory. */
  KMS_MEETING_KEY_TTL: zDurationMs.optional(),
  /** Idle time after which a plaintext audio data key is dropped from memory. */
  KMS_AUDIO_KEY_TTL: zDurationMs.optional(),
  /** How often the KMS health is probed (health NOT_SERVING while it is unavailable). */
  KMS_HEALTH_INTERVAL: zDurationMs.optional(),
};

/** The defaults of the optional `kmsEnvShape` variables. */
export const KMS_DEFAULTS = {
  KMS: 'vault',
  VAULT_TRANSIT_MOUNT: 'transit',
  VAULT_TIMEOUT: 5000,
  KMS_MEETING_KEY_TTL: 10 * 60_000,
  KMS_AUDIO_KEY_TTL: 2 * 60_000,
  KMS_HEALTH_INTERVAL: 2000,
} as const;

/** Where a service that does not host the key registry reaches it (storage's KeyRegistryService). */
export const keyRegistryEnvShape = {
  KEY_REGISTRY_GRPC_ADDR: z
    .string()
    .refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port' })
    .optional(),
};

/** What `createKmsFromConfig` reads (a schema with `kmsEnvShape` satisfies it). */
export interface KmsConfig {
  KMS?: 'vault' | 'local' | undefined;
  VAULT_ADDR?: string | undefined;
  VAULT_TOKEN_FILE?: string | undefined;
  VAULT_TRANSIT_MOUNT?: string | undefined;
  VAULT_CA_FILE?: string | undefined;
  VAULT_NAMESPACE?: string | undefined;
  VAULT_TIMEOUT?: number | undefined;
  KMS_LOCAL_DIR?: string | undefined;
  KMS_MEETING_KEY_TTL?: number | undefined;
  KMS_AUDIO_KEY_TTL?: number | undefined;
  KMS_HEALTH_INTERVAL?: number | undefined;
}

const MOUNT_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/**
 * The configured `Kms`: a `VaultTransitKms` (KMS=vault) or a `LocalKms` (KMS=local). Throws a
 * `ConfigError` naming every variable that is missing or wrong (never a value: a token file's
 * content is never read into a message). Does not contact Vault: a KMS that is down at start
 * is reported by the health probe, and every operation that needs it fails closed until it is back.
 */
export async function createKmsFromConfig(config: KmsConfig, logger: Logger): Promise<Kms> {
  const kmsLogger = logger.child({ component: 'kms' });
  if ((config.KMS ?? KMS_DEFAULTS.KMS) === 'local') {
    if (!config.KMS_LOCAL_DIR) throw new ConfigError([{ variable: 'KMS_LOCAL_DIR', problem: 'is required when KMS=local' }]);
    try {
      const kms = await LocalKms.open({ dir: config.KMS_LOCAL_DIR, logger: kmsLogger });
      kmsLogger.info({ kms: 'local' }, 'kms ready');
      return kms;
    } catch (err) {
      throw new ConfigError([{ variable: 'KMS_LOCAL_DIR', problem: `cannot be opened as a local keyring (${errorCode(err)})` }]);
    }
  }

  const issues: ConfigIssue[] = [];
  if (!config.VAULT_ADDR) issues.push({ variable: 'VAULT_ADDR', problem: 'is required when KMS=vault' });
  else {
    const problem = vaultAddressProblem(config.VAULT_ADDR);
    if (problem) issues.push({ variable: 'VAULT_ADDR', problem });
  }
  if (!config.VAULT_TOKEN_FILE) issues.push({ variable: 'VAULT_TOKEN_FILE', problem: 'is required when KMS=vault' });
  else {
    const problem = tokenFileProblem(config.VAULT_TOKEN_FILE);
    if (problem) issues.push({ variable: 'VAULT_TOKEN_FILE', problem });
  }
  const mount = (config.VAULT_TRANSIT_MOUNT ?? KMS_DEFAULTS.VAULT_TRANSIT_MOUNT).replace(/^\/+|\/+$/g, '');
  if (!MOUNT_PATTERN.test(mount) || mount.split('/').includes('..')) {
    issues.push({ variable: 'VAULT_TRANSIT_MOUNT', problem: 'must be a mount path of [A-Za-z0-9_.-] segments' });
  }
  let ca: Buffer | undefined;
  if (config.VAULT_CA_FILE) {
    try {
      ca = readFileSync(config.VAULT_CA_FILE);
      if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
        issues.push({ variable: 'VAULT_CA_FILE', problem: 'does not hold a PEM certificate' });
      }
    } catch (err) {
      issues.push({ variable: 'VAULT_CA_FILE', problem: `cannot be read (${errorCode(err)})` });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);

  let kms: VaultTransitKms;
  try {
    kms = new VaultTransitKms({
      address: config.VAULT_ADDR!,
      tokenFile: config.VAULT_TOKEN_FILE!,
      mountPath: mount,
      timeoutMs: config.VAULT_TIMEOUT ?? KMS_DEFAULTS.VAULT_TIMEOUT,
      ...(config.VAULT_NAMESPACE ? { namespace: config.VAULT_NAMESPACE } : {}),
      ...(ca ? { tls: { ca } } : {}),
      logger: kmsLogger,
    });
  } catch (err) {
    // The adapter's own checks (address, mount, token file) mirror the ones above.
    throw new ConfigError([{ variable: 'KMS', problem: `the Vault Transit KMS cannot be configured (${errorCode(err)})` }]);
  }
  kmsLogger.info({ kms: 'vault', mount, tls: config.VAULT_ADDR!.startsWith('https:') }, 'kms ready');
  return kms;
}

/** The MeetingKeyring options the KMS configuration sets (plaintext key idle TTLs). */
export function keyringOptionsFromConfig(config: Pick<KmsConfig, 'KMS_MEETING_KEY_TTL' | 'KMS_AUDIO_KEY_TTL'>): {
  meetingKeyTtlMs: number;
  audioKeyTtlMs: number;
} {
  return {
    meetingKeyTtlMs: config.KMS_MEETING_KEY_TTL ?? KMS_DEFAULTS.KMS_MEETING_KEY_TTL,
    audioKeyTtlMs: config.KMS_AUDIO_KEY_TTL ?? KMS_DEFAULTS.KMS_AUDIO_KEY_TTL,
  };
}

function vaultAddressProblem(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return 'must be a URL (https://host:port)';
  }
  if (url.username || url.password) return 'must not carry credentials (use VAULT_TOKEN_FILE)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && loopback) return undefined;
  return 'must be an https:// URL (plain http:// only to a loopback address)';
}

function tokenFileProblem(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'must name a regular file';
    if (readFileSync(file, 'utf8').trim() === '') return 'names an empty file';
    return undefined;
  } catch (err) {
    return `cannot be read (${errorCode(err)})`;
  }
}

/** An error's code or name only (messages may carry paths or values). */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'error';
}
