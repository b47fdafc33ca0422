import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  authorizeRpc,
  ConfigError,
  createLogger,
  generateServiceTrust,
  loadServiceAuthorization,
  loadSubjectAssertionSigner,
  loadSubjectAssertionVerifier,
  parseTrustedServiceKeys,
  requireServiceSigner,
  SUBJECT_ASSERTION_METADATA,
  subjectAssertionMetadata,
  type DecisionAuditor,
} from '@confide/platform';

const silent = createLogger({ service: 'test', level: 'silent' });
let dir: string;
const files: Record<string, string> = {};

function writePair(name: string, type: 'ed25519' | 'p256' | 'rsa'): void {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : type === 'p256'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  files[`${name}.key`] = path.join(dir, `${name}.key.pem`);
  files[`${name}.pub`] = path.join(dir, `${name}.pub.pem`);
  writeFileSync(files[`${name}.key`] as string, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(files[`${name}.pub`] as string, pair.publicKey.export({ type: 'spki', format: 'pem' }));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'service-identity-'));
  writePair('gateway', 'ed25519');
  writePair('lifecycle', 'p256');
  writePair('rsa', 'rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = { id: 'u1', tenant: 't1', roles: ['admin'], kind: 'user' as const, mfa: true };

describe('service keys from files', () => {
  it('signs with an Ed25519 or P-256 PKCS#8 key and verifies with the SPKI public keys', async () => {
    const gateway = await loadSubjectAssertionSigner({ service: 'gateway', keyFile: files['gateway.key'] as string });
    const lifecycle = await loadSubjectAssertionSigner({ service: 'lifecycle', keyFile: files['lifecycle.key'] as string });
    const verifier = await loadSubjectAssertionVerifier({
      trusted: parseTrustedServiceKeys(`gateway=${files['gateway.pub']}, lifecycle=${files['lifecycle.pub']}`),
    });
    await expect(verifier.verify(await gateway.sign(user))).resolves.toEqual({
      caller: { id: 'gateway', tenant: '', roles: [], kind: 'service', mfa: false, service: 'gateway' },
      subject: user,
    });
    await expect(verifier.verify(await lifecycle.sign())).resolves.toEqual({
      caller: { id: 'lifecycle', tenant: '', roles: [], kind: 'service', mfa: false, service: 'lifecycle' },
    });
  });

  it('rejects an assertion naming a trusted service but signed by another key', async () => {
    const impostor = await loadSubjectAssertionSigner({ service: 'gateway', keyFile: files['lifecycle.key'] as string });
    const verifier = await loadSubjectAssertionVerifier({ trusted: { gateway: files['gateway.pub'] as string } });
    await expect(verifier.verify(await impostor.sign(user))).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  it.each([
    ['an unreadable file', () => path.join(dir, 'absent.pem'), /SUBJECT_ASSERTION_KEY_FILE: the file cannot be read/],
    ['an RSA key', () => files['rsa.key'] as string, /SUBJECT_ASSERTION_KEY_FILE: must be a PEM private key/],
    ['a public key', () => files['gateway.pub'] as string, /SUBJECT_ASSERTION_KEY_FILE: must be a PEM private key/],
  ])('refuses %s as a signing key with a ConfigError naming the variable only', async (_name, file, message) => {
    const error = await loadSubjectAssertionSigner({ service: 'gateway', keyFile: file() }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(dir);
  });

  it('parses and validates the trusted key list', () => {
    expect(parseTrustedServiceKeys('gateway=/k/g.pem,lifecycle=/k/l.pem,')).toEqual({ gateway: '/k/g.pem', lifecycle: '/k/l.pem' });
    expect(() => parseTrustedServiceKeys('/k/g.pem')).toThrow(ConfigError);
    expect(() => parseTrustedServiceKeys('Gateway=/k/g.pem')).toThrow(/SUBJECT_ASSERTION_TRUSTED_KEYS/);
    expect(() => parseTrustedServiceKeys('gateway=/a,gateway=/b')).toThrow(/names service gateway twice/);
  });

  it('refuses a trusted key that is not an Ed25519/P-256 public key', async () => {
    await expect(loadSubjectAssertionVerifier({ trusted: { gateway: files['rsa.pub'] as string } })).rejects.toThrow(
      /SUBJECT_ASSERTION_TRUSTED_KEYS: the key of gateway must be a PEM public key/,
    );
  });
});

describe('requireServiceSigner (ingest, transcription, insights)', () => {
  it('loads the service key, or names SUBJECT_ASSERTION_KEY_FILE without echoing anything', async () => {
    const why = 'the key registry authorizes ingest by its signed assertions';
    await expect(requireServiceSigner({}, { service: 'ingest', why })).rejects.toThrow(ConfigError);
    await expect(requireServiceSigner({}, { service: 'ingest', why })).rejects.toThrow(`SUBJECT_ASSERTION_KEY_FILE: is required (${why})`);
    const missing = path.join(dir, 'nope.pem');
    const err = await requireServiceSigner({ SUBJECT_ASSERTION_KEY_FILE: missing }, { service: 'ingest', why }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/SUBJECT_ASSERTION_KEY_FILE/);
    expect((err as Error).message).not.toContain(missing);
    const signer = await requireServiceSigner({ SUBJECT_ASSERTION_KEY_FILE: files['gateway.key'] as string }, { service: 'ingest', why });
    const verifier = await loadSubjectAssertionVerifier({ trusted: { ingest: files['gateway.pub'] as string } });
    await expect(verifier.verify(await signer.sign())).resolves.toEqual({
      caller: { id: 'ingest', tenant: '', roles: [], kind: 'service', mfa: false, service: 'ingest' },
    });
  });
});

describe('generated service trust (all-in-one)', () => {
  it('trusts exactly the services it made keys for', async () => {
    const trust = await generateServiceTrust(['gateway', 'lifecycle']);
    const other = await generateServiceTrust(['gateway']);
    await expect(trust.verifier.verify(await trust.signer('gateway').sign(user))).resolves.toMatchObject({ subject: user });
    await expect(trust.verifier.verify(await other.signer('gateway').sign(user))).rejects.toMatchObject({ kind: 'unauthenticated' });
    expect(() => trust.signer('ingest')).toThrow('no service key for ingest');
  });

  it('puts the assertion in gRPC metadata', () => {
    expect(subjectAssertionMetadata('a.b.c').get(SUBJECT_ASSERTION_METADATA)).toEqual(['a.b.c']);
  });
});

describe('loadServiceAuthorization (microservices mode)', () => {
  it('authorizes the RPCs the policy grants the trusted caller, and refuses the rest', async () => {
    const records: string[] = [];
    const auditor: DecisionAuditor = { record: async (d, i) => void records.push(`${i.action}:${d.allow}`) };
    const authz = await loadServiceAuthorization(
      { SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=${files['gateway.pub']},lifecycle=${files['lifecycle.pub']}`, SUBJECT_ASSERTION_KEY_FILE: files['lifecycle.key'] },
      { service: 'lifecycle', logger: silent, auditor },
    );
    try {
      const gateway = await loadSubjectAssertionSigner({ service: 'gateway', keyFile: files['gateway.key'] as string });
      const purge = authorizeRpc(authz.rpc, { method: 'confide.storage.v1.StorageService/PurgeMeeting' }, async () => 'purged');
      const signal = new AbortController().signal;
      // lifecycle (its own signer, from SUBJECT_ASSERTION_KEY_FILE) may purge; the gateway may not.
      await expect(purge({}, { metadata: subjectAssertionMetadata(await (authz.signer?.sign() ?? Promise.resolve(''))), signal })).resolves.toBe('purged');
      await expect(purge({}, { metadata: subjectAssertionMetadata(await gateway.sign(user)), signal })).rejects.toMatchObject({
        kind: 'permission-denied',
        message: 'the call is not permitted',
      });
      expect(records).toEqual(['rpc:confide.storage.v1.StorageService/PurgeMeeting:false']);
    } finally {
      authz.close();
    }
  });
});
