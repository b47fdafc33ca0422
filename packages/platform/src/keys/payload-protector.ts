import type { Envelope } from '@confide/contracts';
import { CiphertextFormatError, DecryptionFailedError } from '../crypto/crypto.errors';
import { EnvelopeCipher } from '../crypto/envelope.cipher';
import { AppError } from '../errors/app-error';
import type { PayloadEncryption } from '../event-bus/event-type';
import { PoisonMessageError } from '../event-bus/poison-message.error';
import { DataKeyNotFoundError, MeetingKeyErasedError, type DataKey } from '../kms/data-key-cache';
import { KeyNotFoundError } from '../kms/kms.errors';
import type { KeyPurpose } from './key-registry.port';

/** Where the protector gets data keys (a `MeetingKeyring`). */
export interface DataKeySource {
  getOrCreate(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<DataKey>;
  get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<DataKey>;
}

/** What opening an envelope's payload gave: the serialized event, or "drop it" (its key was destroyed). */
export type OpenedPayload = { outcome: 'open'; payload: Uint8Array } | { outcome: 'dropped'; reason: 'key-destroyed' };

/**
 * Encrypts and decrypts event payloads on the bus (ARCHITECTURE.md promises 2 and 3). Fail
 * closed: `seal` throws when no key can be had (nothing may be published then), and `open`
 * never hands out a payload that was not authenticated under the expected key.
 */
export interface PayloadProtector {
  /**
   * The envelope with its payload encrypted and `keyRef` set, for an event of a meeting whose
   * type says `meeting` or `audio`; unchanged for `none` and for events of no meeting.
   */
  seal(envelope: Envelope, encryption: PayloadEncryption): Promise<Envelope>;
  /**
   * The plaintext payload. Throws `PoisonMessageError` for a payload that is not what its
   * type requires (plaintext where ciphertext is due, another key, tampered, moved from another
   * event) and `PayloadKeyUnavailableError` (retryable) when the key cannot be had now; an audio
   * payload whose key is unknown or destroyed is `dropped` (crypto-shredded).
   */
  open(envelope: Envelope, expected: PayloadEncryption): Promise<OpenedPayload>;
}

/** The payload's data key cannot be had now (KMS or registry down, key not there yet). Retryable. */
export class PayloadKeyUnavailableError extends AppError {
  readonly retryable = true;
  constructor(reason: string) {
    super('unavailable', `payload key unavailable: ${reason}`);
  }
}

/** `key_ref` of an encrypted payload: which of the meeting's data keys encrypted it. */
export const PAYLOAD_KEY_REFS: Readonly<Record<KeyPurpose, string>> = { meeting: 'meeting-dek', audio: 'audio-dek' };

const purposeOfKeyRef = (keyRef: string): KeyPurpose | undefined =>
  keyRef === PAYLOAD_KEY_REFS.meeting ? 'meeting' : keyRef === PAYLOAD_KEY_REFS.audio ? 'audio' : undefined;

/**
 * `PayloadProtector` with `EnvelopeCipher` (AES-256-GCM, format v1) under the meeting's data
 * keys. The additional data binds the ciphertext to its event: tenant, meeting, kind = the
 * event type, id = the event id — a payload moved to another event, meeting or tenant, or under
 * another type, does not decrypt.
 */
export class EnvelopePayloadProtector implements PayloadProtector {
  constructor(
    private readonly keys: DataKeySource,
    private readonly cipher: EnvelopeCipher = new EnvelopeCipher(),
  ) {}

  async seal(envelope: Envelope, encryption: PayloadEncryption): Promise<Envelope> {
    if (encryption === 'none' || !isOfMeeting(envelope)) return envelope;
    if (envelope.keyRef !== '') throw new AppError('invalid-argument', 'the envelope payload is already sealed');
    const key = await this.keys.getOrCreate(envelope.tenantId, envelope.meetingId, encryption);
    try {
      const keyRef = PAYLOAD_KEY_REFS[encryption];
      const payload = this.cipher.encrypt(Buffer.from(envelope.payload), key.plaintext, keyRef, key.keyVersion, aadOf(envelope));
      return { ...envelope, keyRef, payload };
    } finally {
      key.plaintext.fill(0);
    }
  }

  async open(envelope: Envelope, expected: PayloadEncryption): Promise<OpenedPayload> {
    if (envelope.keyRef === '') {
      if (expected === 'none' || !isOfMeeting(envelope)) return { outcome: 'open', payload: envelope.payload };
      throw new PoisonMessageError(`unencrypted ${envelope.type} payload refused (event ${envelope.id})`);
    }
    const purpose = purposeOfKeyRef(envelope.keyRef);
    if (!purpose || (expected !== 'none' && purpose !== expected) || !isOfMeeting(envelope)) {
      throw new PoisonMessageError(`${envelope.type} payload under an unexpected key (event ${envelope.id})`);
    }
    let key: DataKey;
    try {
      key = await this.keys.get(envelope.tenantId, envelope.meetingId, purpose);
    } catch (err) {
      const gone = err instanceof DataKeyNotFoundError || err instanceof MeetingKeyErasedError || err instanceof KeyNotFoundError;
      if (gone && purpose === 'audio') return { outcome: 'dropped', reason: 'key-destroyed' };
      if (gone) throw new PayloadKeyUnavailableError(`the meeting's ${purpose} key is unknown or destroyed`);
      throw err;
    }
    try {
      return { outcome: 'open', payload: this.cipher.decrypt(Buffer.from(envelope.payload), key.plaintext, aadOf(envelope)) };
    } catch (err) {
      if (err instanceof DecryptionFailedError || err instanceof CiphertextFormatError) {
        throw new PoisonMessageError(`${envelope.type} payload does not authenticate (event ${envelope.id})`);
      }
      throw err;
    } finally {
      key.plaintext.fill(0);
    }
  }
}

const isOfMeeting = (envelope: Envelope): boolean => envelope.tenantId !== '' && envelope.meetingId !== '';

const aadOf = (envelope: Envelope) => ({ tenant: envelope.tenantId, meeting: envelope.meetingId, kind: envelope.type, id: envelope.id });
