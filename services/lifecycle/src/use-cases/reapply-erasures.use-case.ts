import { KeyNotFoundError, dekContext, isKmsOutage, type Clock, type Kms, type Logger } from '@confide/platform';

/**
 * One erasure recorded outside the database (docs/adr/0013-restore.md): a MeetingErased event of
 * `confide.lifecycle.v1`, or a deletion certificate / tombstone line of an exported journal.
 */
export type ErasureJournalEntry =
  | { kind: 'meeting'; tenantId: string; meetingId: string }
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'user'; tenantId: string; userId: string };

/** Row counts removed by one re-applied purge. */
export interface ReappliedCounts {
  meetings: number;
  segments: number;
  alerts: number;
  reports: number;
  dataKeys: number;
}

/** The restored database as the re-apply sees it: storage's tables, each statement in one tenant's RLS scope. */
export interface RestoredDatabase {
  /** The tenant registry, in id order, after `afterTenantId`. */
  listTenants(afterTenantId: string, limit: number): Promise<string[]>;
  /** One still-wrapped meeting data key of the tenant (to ask the KMS whether its tenant key lives), or undefined. */
  activeMeetingKey(tenantId: string): Promise<{ meetingId: string; keyName: string; wrapped: string } | undefined>;
  /** Destroys the meeting's meeting and audio data keys (tombstones even where no key was stored); how many were active. */
  destroyMeetingKeys(tenantId: string, meetingId: string): Promise<number>;
  /** Deletes every row of the meeting and records its tombstone (`erased_meetings`). Idempotent. */
  purgeMeeting(tenantId: string, meetingId: string, atMs: number): Promise<Omit<ReappliedCounts, 'dataKeys'>>;
  /** Deletes every row of the tenant, tombstones its keys and meetings, records `erased_tenants`. Idempotent. */
  purgeTenant(tenantId: string, atMs: number): Promise<ReappliedCounts>;
  /** Deletes the participant's segments and the alerts on them in every meeting of the tenant. Idempotent. */
  purgeParticipant(tenantId: string, userId: string): Promise<{ segments: number; alerts: number }>;
}

export interface ReapplyErasuresReport {
  tenantsChecked: number;
  /** Tenants whose tenant key the KMS no longer has (erased), purged again. */
  tenantsErasedInKms: number;
  journalEntries: number;
  tenantsReapplied: number;
  meetingsReapplied: number;
  usersReapplied: number;
  /** Data keys that were active in the restored database and are destroyed again. */
  keysDestroyed: number;
  rows: ReappliedCounts;
  dryRun: boolean;
}

const PAGE = 500;

/**
 * Re-applies, to a database restored from a dump, every erasure that happened after the dump was
 * taken (docs/adr/0013-restore.md). The restored rows still hold wrapped meeting keys that a live
 * tenant key can unwrap, so the erasures must come from records that are not inside the dump:
 *   1. the KMS: a tenant whose key is gone there (destroyed by a tenant erasure; Transit never
 *      forgets a deletion) is purged again — decided by asking the KMS to unwrap one of its
 *      restored wrapped keys: `KeyNotFoundError` (or `KeyDestroyedError`) means erased;
 *   2. the erasure journal: MeetingErased events of `confide.lifecycle.v1` (retained forever) and
 *      any exported deletion certificates — each meeting's keys destroyed and rows purged again,
 *      each tenant purged, each user's track purged.
 * Every step is idempotent, so the procedure can be re-run after a failure. Fail closed: a KMS
 * that cannot be asked (outage, wrong address) stops the run before anything is judged, and a KMS
 * that does not hold `sanityKeyName` (the signing key) is refused — a wrong or empty KMS would
 * otherwise make every tenant look erased. Logs ids and counts only.
 */
export class ReapplyErasures {
  constructor(
    private readonly deps: {
      db: RestoredDatabase;
      kms: Pick<Kms, 'unwrapDataKey' | 'keyExists'>;
      /** A key the right KMS must hold (the deletion-certificate signing key). */
      sanityKeyName: string;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async execute(journal: Iterable<ErasureJournalEntry>, opts: { dryRun?: boolean } = {}): Promise<ReapplyErasuresReport> {
    const { db, kms, logger } = this.deps;
    const dryRun = opts.dryRun === true;
    if (!(await kms.keyExists(this.deps.sanityKeyName))) {
      throw new Error(`the KMS does not hold ${this.deps.sanityKeyName}: refusing to judge tenant keys against what may be the wrong KMS`);
    }
    const report: ReapplyErasuresReport = {
      tenantsChecked: 0,
      tenantsErasedInKms: 0,
      journalEntries: 0,
      tenantsReapplied: 0,
      meetingsReapplied: 0,
      usersReapplied: 0,
      keysDestroyed: 0,
      rows: { meetings: 0, segments: 0, alerts: 0, reports: 0, dataKeys: 0 },
      dryRun,
    };
    const add = (c: Partial<ReappliedCounts>) => {
      for (const k of Object.keys(report.rows) as Array<keyof ReappliedCounts>) report.rows[k] += c[k] ?? 0;
    };
    const erasedTenants = new Set<string>();

    // 1. Tenants whose key the KMS no longer has.
    let after = '';
    for (;;) {
      const page = await db.listTenants(after, PAGE);
      for (const tenantId of page) {
        report.tenantsChecked++;
        if (await this.tenantKeyGone(tenantId)) {
          report.tenantsErasedInKms++;
          erasedTenants.add(tenantId);
        }
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }

    // 2. The journal (deduplicated; tenants first, so their meetings are not purged one by one).
    const entries = [...journal];
    report.journalEntries = entries.length;
    for (const e of entries) if (e.kind === 'tenant') erasedTenants.add(e.tenantId);
    const now = this.deps.clock.now();
    for (const tenantId of [...erasedTenants].sort()) {
      report.tenantsReapplied++;
      if (dryRun) continue;
      const c = await db.purgeTenant(tenantId, now);
      report.keysDestroyed += c.dataKeys;
      add(c);
    }
    const meetings = new Map<string, { tenantId: string; meetingId: string }>();
    const users = new Map<string, { tenantId: string; userId: string }>();
    for (const e of entries) {
      if (erasedTenants.has(e.tenantId)) continue;
      if (e.kind === 'meeting') meetings.set(`${e.tenantId}\u0000${e.meetingId}`, e);
      if (e.kind === 'user') users.set(`${e.tenantId}\u0000${e.userId}`, e);
    }
    for (const { tenantId, meetingId } of meetings.values()) {
      report.meetingsReapplied++;
      if (dryRun) continue;
      // Crypto first, as in the erasure itself: the keys go before the rows.
      report.keysDestroyed += await db.destroyMeetingKeys(tenantId, meetingId);
      add(await db.purgeMeeting(tenantId, meetingId, now));
    }
    for (const { tenantId, userId } of users.values()) {
      report.usersReapplied++;
      if (dryRun) continue;
      add(await db.purgeParticipant(tenantId, userId));
    }
    logger.info(
      {
        tenantsChecked: report.tenantsChecked,
        tenantsErasedInKms: report.tenantsErasedInKms,
        journalEntries: report.journalEntries,
        tenantsReapplied: report.tenantsReapplied,
        meetingsReapplied: report.meetingsReapplied,
        usersReapplied: report.usersReapplied,
        keysDestroyed: report.keysDestroyed,
        rows: report.rows,
        dryRun,
      },
      'erasures re-applied to the restored database',
    );
    return report;
  }

  /** True when the KMS can no longer unwrap the tenant's restored keys because the tenant key is gone. */
  private async tenantKeyGone(tenantId: string): Promise<boolean> {
    const probe = await this.deps.db.activeMeetingKey(tenantId);
    if (!probe) return false; // nothing decryptable is left to judge
    try {
      const plaintext = await this.deps.kms.unwrapDataKey(probe.keyName, probe.wrapped, dekContext(tenantId, probe.meetingId));
      plaintext.fill(0);
      return false;
    } catch (err) {
      if (err instanceof KeyNotFoundError) return true; // KeyDestroyedError is a KeyNotFoundError
      if (isKmsOutage(err)) throw new Error('the KMS is unavailable: nothing was re-applied to tenants yet; run the procedure again', { cause: err });
      throw err;
    }
  }
}
