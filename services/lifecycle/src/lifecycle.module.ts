import {
  SIGNING_KEY_NAME,
  failedPrecondition,
  systemClock,
  uuidGenerator,
  type Clock,
  type DecisionAuditor,
  type EventBus,
  type GrantStore,
  type GrpcServiceRegistration,
  type IdGenerator,
  type Kms,
  type Logger,
  type RpcAuthorizationDeps,
  type ServiceModule,
  type Subscription,
} from '@confide/platform';
import type { DataSource } from 'typeorm';
import { BusErasureEventPublisher } from './adapters/events/erasure-events.publisher';
import { subscribeToAuditEntries } from './adapters/events/audit-entry.consumer';
import { subscribeToMeetings, type MeetingConsumerOptions } from './adapters/events/meeting.consumer';
import { accessGrantGrpcService } from './adapters/grpc/access-grant.grpc';
import { auditGrpcService } from './adapters/grpc/audit.grpc';
import { certificateGrpcService } from './adapters/grpc/certificate.grpc';
import { lifecycleGrpcService, type LifecycleErasureHandlers } from './adapters/grpc/lifecycle.grpc';
import { LoggingAuditLog } from './adapters/logging/logging.audit-log';
import { LoggingErasureLog } from './adapters/logging/logging.erasure-log';
import { InMemoryEndedMeetings } from './adapters/memory/in-memory.ended-meetings';
import { PostgresAuditEventStore } from './adapters/postgres/audit-event.repository';
import { PostgresDeletionCertificateStore } from './adapters/postgres/deletion-certificate.repository';
import { PostgresErasureCertificateStore } from './adapters/postgres/erasure-certificate.repository';
import { PostgresErasureRequestRepository } from './adapters/postgres/erasure-request.repository';
import { createLifecycleDataSource, migrateLifecycleDatabase } from './adapters/postgres/lifecycle.data-source';
import { PostgresStaffGrantRepository } from './adapters/postgres/staff-grant.repository';
import { AdvisoryLockLeaderElection } from './adapters/postgres/advisory-lock.leader-election';
import { PostgresRetentionPolicyRepository } from './adapters/postgres/retention-policy.repository';
import type { StorageMaintenance } from './ports/storage-maintenance.port';
import { AudioKeyDeadlineSweep, DEFAULT_AUDIO_KEY_MAX_AGE_MS } from './use-cases/audio-key-deadline-sweep.use-case';
import { ErasureResumeSweep } from './use-cases/erasure-resume-sweep.use-case';
import { RetentionSweep } from './use-cases/retention-sweep.use-case';
import { RunAsLeader } from './use-cases/run-as-leader.use-case';
import type { AuditLog } from './ports/audit-log.port';
import type { DataKeyShredder, TenantKeyShredder } from './ports/data-key-shredder.port';
import type { ResumableErasureLog } from './ports/erasure-certifier.port';
import type { EndedMeetings } from './ports/ended-meetings.port';
import type { ErasureEventPublisher } from './ports/erasure-events.port';
import type { MeetingStore } from './ports/meeting-store.port';
import { ApproveStaffGrant } from './use-cases/approve-staff-grant.use-case';
import { AuditCheckpointer } from './use-cases/audit-checkpointer';
import { ChainedAuditLog } from './use-cases/chained-audit-log';
import { DeleteMeeting } from './use-cases/delete-meeting.use-case';
import { DenyStaffGrant } from './use-cases/deny-staff-grant.use-case';
import { EraseTenant } from './use-cases/erase-tenant.use-case';
import { EraseUserData } from './use-cases/erase-user-data.use-case';
import { RestoreArchivedMeeting } from './use-cases/restore-archived-meeting.use-case';
import { ExportAuditLog } from './use-cases/export-audit-log.use-case';
import { IssueErasureCertificate } from './use-cases/issue-erasure-certificate.use-case';
import { ListStaffGrants } from './use-cases/list-staff-grants.use-case';
import { RecordAccessDecision } from './use-cases/record-access-decision.use-case';
import { RecordAuditEntry } from './use-cases/record-audit-entry.use-case';
import { RecordMeetingEnded } from './use-cases/record-meeting-ended.use-case';
import { RequestStaffGrant } from './use-cases/request-staff-grant.use-case';
import { RevokeStaffGrant } from './use-cases/revoke-staff-grant.use-case';
import { SignAuditCheckpoint } from './use-cases/sign-audit-checkpoint.use-case';

/** Default cadence of signed audit checkpoints (ADR 0011): the window in which a dropped tail goes unnoticed. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
/** A tenant with this many unsigned appends in this process is checkpointed at once. */
export const DEFAULT_MAX_UNSIGNED = 1000;

/**
 * Lifecycle's PostgreSQL and signing key (ADR 0011). With it the module keeps the hash-chained
 * audit log, issues signed deletion certificates, persists staff grants and serves
 * AccessGrantService, AuditService and CertificateService.
 */
export interface LifecyclePersistence {
  /** The application role (no BYPASSRLS), as storage's DATABASE_URL. */
  databaseUrl: string;
  /** The migration role; default `databaseUrl`. */
  migrationDatabaseUrl?: string;
  /** Run lifecycle's migrations at start (after storage's, which create the roles' defaults). Default true. */
  migrate?: boolean;
  poolSize?: number;
  /** Signs certificates and checkpoints (ed25519 key `signingKeyName`, created if missing). */
  kms: Pick<Kms, 'createKey' | 'sign' | 'publicKeys'>;
  /**
   * Destroys tenant keys (`Kms.destroyKey(confide-tenant-<id>)`): the crypto-erasure of
   * EraseTenant (`DELETE /api/tenant/data`). The composition's data-key KMS (`keys.kms`).
   * Without it EraseTenant answers FAILED_PRECONDITION (no tenant erasure without crypto-erasure).
   */
  tenantKeys?: TenantKeyShredder;
  /** How long EraseTenant waits for the physical purge before answering; default 2 s. */
  tenantPurgeWaitMs?: number;
  /** Default SIGNING_KEY_NAME (`confide-signing`). */
  signingKeyName?: string;
  /** Default DEFAULT_CHECKPOINT_INTERVAL_MS. */
  checkpointIntervalMs?: number;
  /** Default DEFAULT_MAX_UNSIGNED. */
  maxUnsigned?: number;
  /** Certificate and grant ids; default random UUIDs. */
  ids?: IdGenerator;
  /**
   * The retention scheduler (docs/adr/0012-retention.md): on exactly one replica (a PostgreSQL
   * advisory lock), every `intervalMs` it destroys audio keys of meetings ended longer than
   * `audioKeyMaxAgeMs` ago and applies each tenant's retention policy through storage's
   * StorageMaintenanceService (`GrpcStorageMaintenance`, signed as lifecycle). Without it no
   * sweep runs in this process. The audio sweep also needs the module's `keys`.
   */
  scheduler?: {
    maintenance: StorageMaintenance & { close?(): void };
    intervalMs?: number;
    audioKeyMaxAgeMs?: number;
    /** Pending erasures younger than this are not resumed by the sweep (default 60 s: the request may still be running). */
    erasureResumeMinAgeMs?: number;
  };
}

/** Default tick of the retention scheduler. */
export const DEFAULT_SCHEDULER_INTERVAL_MS = 15 * 60_000;

export interface LifecycleModuleDeps {
  logger: Logger;
  bus: EventBus;
  /**
   * Stored meetings: `new GrpcMeetingStore(storageClientOrAddress, { signer })`, the signer
   * being lifecycle's own service identity (storage authorizes PurgeMeeting by it).
   */
  storage: MeetingStore;
  clock?: Clock;
  /** Default: MeetingErased on confide.lifecycle.v1 on `bus`. */
  events?: ErasureEventPublisher;
  /**
   * Lifecycle's database and signing key. Without it (unit tests with fakes, and until a
   * composition passes it) only LifecycleService is served, with `erasures`/`audit` (default:
   * log lines of ids) — no certificates, no tamper-evident log, no grants.
   */
  persistence?: LifecyclePersistence;
  /** Default: IssueErasureCertificate with persistence, else LoggingErasureLog (ids and counts only). */
  erasures?: ResumableErasureLog;
  /**
   * Crypto-erasure of a meeting's data keys before its rows are purged: the process's
   * `MeetingKeyring` (all-in-one) or a `GrpcKeyRegistry` to storage (microservices mode).
   * Without it meetings are purged without crypto-erasure (a warning is logged).
   */
  keys?: DataKeyShredder;
  /** Default: ChainedAuditLog with persistence, else LoggingAuditLog (ids and outcome only). */
  audit?: AuditLog;
  /** Default: InMemoryEndedMeetings (lost on restart). */
  ended?: EndedMeetings;
  /** Consumer retry settings (bus defaults otherwise). */
  consumer?: MeetingConsumerOptions;
  /** Called by stop(), e.g. to close the storage client channel. */
  onStop?: () => Promise<void> | void;
  /**
   * Authorization of callers (ADR 0009: subject assertion + policy per RPC), from the
   * composition: all-in-one passes its generated service trust, microservices mode
   * `loadServiceAuthorization(config, { service: 'lifecycle', logger }).rpc`. Without it every
   * RPC of every lifecycle service is refused (fail closed).
   */
  authorization?: RpcAuthorizationDeps;
}

export interface LifecycleModule extends ServiceModule {
  /**
   * With persistence: the staff grants in PostgreSQL as the policy's GrantStore (the gateway's
   * and every service's `context.grants`). Usable once the module started.
   */
  grants?: GrantStore;
  /**
   * With persistence: a DecisionAuditor appending audited decisions to the tenant's hash-chained
   * log (`RecordAccessDecision`), for compositions that run the gateway or storage in-process.
   */
  decisionAuditor?: DecisionAuditor;
}

interface Persistent {
  dataSource: DataSource;
  options: LifecyclePersistence;
  signingKeyName: string;
  checkpointer: AuditCheckpointer;
  audit: ChainedAuditLog;
  erasures: IssueErasureCertificate;
  requests: PostgresErasureRequestRepository;
  ids: IdGenerator;
  grants: PostgresStaffGrantRepository;
  decisionAuditor: RecordAccessDecision;
  recordAuditEntry: RecordAuditEntry;
  services: GrpcServiceRegistration[];
  scheduler: RunAsLeader | undefined;
  certificateStore: PostgresErasureCertificateStore;
  policies: PostgresRetentionPolicyRepository;
}

function buildPersistence(deps: LifecycleModuleDeps, options: LifecyclePersistence, clock: Clock, logger: Logger): Persistent {
  const signingKeyName = options.signingKeyName ?? SIGNING_KEY_NAME;
  const ids = options.ids ?? uuidGenerator;
  const dataSource = createLifecycleDataSource({ databaseUrl: options.databaseUrl, ...(options.poolSize ? { poolSize: options.poolSize } : {}) });
  const store = new PostgresAuditEventStore(dataSource);
  const certificates = new PostgresDeletionCertificateStore(dataSource);
  const grants = new PostgresStaffGrantRepository(dataSource, clock);
  const checkpointer = new AuditCheckpointer({
    sign: new SignAuditCheckpoint({ store, kms: options.kms, signingKeyName, clock }),
    maxUnsigned: options.maxUnsigned ?? DEFAULT_MAX_UNSIGNED,
    logger,
  });
  const audit = new ChainedAuditLog(store, checkpointer);
  // Certificates of every erasure subject, idempotent per erasure (a retry returns the same one).
  // Each certificate's SHA-256 goes into the tenant's chain (certificate:issued).
  const certificateStore = new PostgresErasureCertificateStore(dataSource);
  const erasures = new IssueErasureCertificate({ store: certificateStore, kms: options.kms, signingKeyName, clock, audit });
  const requests = new PostgresErasureRequestRepository(dataSource);
  const grantDeps = { grants, audit, clock, ids };
  const authorization = deps.authorization ? { authorization: deps.authorization } : {};
  const services = [
    accessGrantGrpcService({
      logger,
      clock,
      request: new RequestStaffGrant(grantDeps),
      approve: new ApproveStaffGrant(grantDeps),
      deny: new DenyStaffGrant(grantDeps),
      revoke: new RevokeStaffGrant(grantDeps),
      list: new ListStaffGrants(grantDeps),
      policyGrants: grants,
      ...authorization,
    }),
    auditGrpcService({ logger, store, exporter: new ExportAuditLog({ store, clock, signingKeyName }), ...authorization }),
    certificateGrpcService({ logger, store: certificates, kms: options.kms, signingKeyName, ...authorization }),
  ];
  const decisionAuditor = new RecordAccessDecision({ store, clock, logger, checkpointer });
  const recordAuditEntry = new RecordAuditEntry({ store, logger, checkpointer });
  const policies = new PostgresRetentionPolicyRepository(dataSource);
  return {
    dataSource,
    options,
    signingKeyName,
    checkpointer,
    audit,
    erasures,
    requests,
    ids,
    grants,
    decisionAuditor,
    recordAuditEntry,
    services,
    scheduler: undefined,
    certificateStore,
    policies,
  };
}

/**
 * The leader-only sweeps over `deleteMeeting` (retention deletes are certified erasures): the
 * audio-key deadline, retention, and the resumption of erasures left pending in the outbox.
 */
function buildScheduler(
  deps: LifecycleModuleDeps,
  p: Persistent,
  eraser: DeleteMeeting,
  erasure: LifecycleErasureHandlers,
  clock: Clock,
  logger: Logger,
): RunAsLeader | undefined {
  const options = p.options.scheduler;
  if (!options) return undefined;
  const retention = new RetentionSweep({
    storage: options.maintenance,
    policies: p.policies,
    eraser,
    audit: p.audit,
    clock,
    logger,
  });
  const keys = deps.keys;
  if (!keys) logger.warn('lifecycle scheduler has no key registry: the audio-key deadline sweep does not run');
  const audio = keys
    ? new AudioKeyDeadlineSweep({ storage: options.maintenance, keys, audit: p.audit, clock, logger, maxAgeMs: options.audioKeyMaxAgeMs ?? DEFAULT_AUDIO_KEY_MAX_AGE_MS })
    : undefined;
  const { eraseUserData, eraseTenant } = erasure;
  const resume = new ErasureResumeSweep({
    storage: options.maintenance,
    requests: p.requests,
    resume: {
      meeting: (r) => eraser.execute(r),
      ...(eraseUserData ? { user: (r: Parameters<EraseUserData['execute']>[0]) => eraseUserData.execute(r) } : {}),
      ...(eraseTenant ? { tenant: (r: Parameters<EraseTenant['execute']>[0]) => eraseTenant.execute(r) } : {}),
    },
    clock,
    logger,
    ...(options.erasureResumeMinAgeMs !== undefined ? { minAgeMs: options.erasureResumeMinAgeMs } : {}),
  });
  return new RunAsLeader({
    election: new AdvisoryLockLeaderElection({ databaseUrl: p.options.databaseUrl, name: 'lifecycle.scheduler' }),
    intervalMs: options.intervalMs ?? DEFAULT_SCHEDULER_INTERVAL_MS,
    logger,
    task: async (signal) => {
      const destroyed = audio ? await audio.run(signal) : undefined;
      const swept = await retention.run(signal);
      const resumed = await resume.run(signal);
      logger.info({ audioKeys: destroyed, retention: swept, erasures: resumed }, 'lifecycle scheduler run');
    },
  });
}

/**
 * EraseTenant, EraseUserData, RestoreArchivedMeeting and the retention policy over storage's
 * StorageMaintenanceService (the scheduler's `maintenance`) and the erasure outbox. Without a
 * maintenance client only the retention policy is served; without `tenantKeys` no EraseTenant.
 */
function buildErasureHandlers(deps: LifecycleModuleDeps, p: Persistent, clock: Clock, logger: Logger): LifecycleErasureHandlers {
  const maintenance = p.options.scheduler?.maintenance;
  const noStorage = (): never => {
    throw failedPrecondition('this lifecycle has no storage maintenance client');
  };
  const storage: StorageMaintenance = maintenance ?? {
    listTenants: noStorage,
    listExpiredMeetings: noStorage,
    listAudioKeysDue: noStorage,
    archiveMeeting: noStorage,
    restoreMeeting: noStorage,
    purgeTenant: noStorage,
    purgeParticipant: noStorage,
  };
  const common = { requests: p.requests, erasures: deps.erasures ?? p.erasures, audit: deps.audit ?? p.audit, clock, logger, ids: p.ids };
  const tenantKeys = p.options.tenantKeys;
  if (!tenantKeys) logger.warn('lifecycle has no tenant key store: EraseTenant is refused');
  return {
    ...(tenantKeys ? { eraseTenant: new EraseTenant({ ...common, kms: tenantKeys, storage }) } : {}),
    eraseUserData: new EraseUserData({ ...common, storage, events: new BusErasureEventPublisher(deps.bus, { clock }) }),
    restoreMeeting: new RestoreArchivedMeeting({ storage, audit: common.audit, clock, logger }),
    policies: p.policies,
    certificates: p.certificateStore,
    clock,
    ...(p.options.tenantPurgeWaitMs !== undefined ? { tenantPurgeWaitMs: p.options.tenantPurgeWaitMs } : {}),
  };
}

/**
 * The lifecycle service as a module: serves LifecycleService (DeleteMeeting) and, with
 * persistence, AccessGrantService, AuditService and CertificateService; consumes
 * confide.meeting.v1 (group "lifecycle") to remember ended meetings, publishes MeetingErased
 * to confide.lifecycle.v1. With persistence, start() migrates (unless disabled), connects,
 * ensures the signing key and signs audit checkpoints every `checkpointIntervalMs`; stop()
 * signs the last ones and disconnects.
 */
export function createLifecycleModule(deps: LifecycleModuleDeps): LifecycleModule {
  const logger = deps.logger.child({ module: 'lifecycle' });
  const clock = deps.clock ?? systemClock;
  const ended = deps.ended ?? new InMemoryEndedMeetings();
  const persistent = deps.persistence ? buildPersistence(deps, deps.persistence, clock, logger) : undefined;
  const deleteMeeting = new DeleteMeeting({
    store: deps.storage,
    events: deps.events ?? new BusErasureEventPublisher(deps.bus, { clock }),
    erasures: deps.erasures ?? persistent?.erasures ?? new LoggingErasureLog(logger),
    audit: deps.audit ?? persistent?.audit ?? new LoggingAuditLog(logger),
    ended,
    clock,
    logger,
    ...(deps.keys ? { keys: deps.keys } : {}),
    ...(persistent ? { requests: persistent.requests, ids: persistent.ids } : {}),
  });
  const erasure = persistent ? buildErasureHandlers(deps, persistent, clock, logger) : undefined;
  if (persistent && erasure) persistent.scheduler = buildScheduler(deps, persistent, deleteMeeting, erasure, clock, logger);
  const recordMeetingEnded = new RecordMeetingEnded({ ended, logger });
  let subscription: Subscription | undefined;
  let auditSubscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;

  const startPersistence = async (p: Persistent): Promise<void> => {
    if (p.options.migrate ?? true) await migrateLifecycleDatabase(p.options.migrationDatabaseUrl ?? p.options.databaseUrl);
    if (!p.dataSource.isInitialized) await p.dataSource.initialize();
    await p.options.kms.createKey(p.signingKeyName, 'ed25519');
    timer = setInterval(() => void p.checkpointer.flush(), p.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
    timer.unref();
    p.scheduler?.start();
  };

  const stopPersistence = async (p: Persistent): Promise<void> => {
    if (timer) clearInterval(timer);
    timer = undefined;
    await p.scheduler?.stop();
    p.options.scheduler?.maintenance.close?.();
    if (!p.dataSource.isInitialized) return;
    await p.checkpointer.flush();
    await p.dataSource.destroy();
  };

  return {
    name: 'lifecycle',
    grpcServices: [
      lifecycleGrpcService({
        logger,
        deleteMeeting,
        ...(erasure ? { erasure } : {}),
        ...(deps.authorization ? { authorization: deps.authorization } : {}),
      }),
      ...(persistent?.services ?? []),
    ],
    ...(persistent ? { grants: persistent.grants, decisionAuditor: persistent.decisionAuditor } : {}),
    async start() {
      if (subscription !== undefined) return;
      if (persistent) await startPersistence(persistent);
      else logger.warn('lifecycle has no persistence: erasures and audit entries are log lines only, no certificates or grants are served');
      try {
        subscription = await subscribeToMeetings({
          bus: deps.bus,
          logger,
          recordMeetingEnded,
          ...(deps.consumer ? { options: deps.consumer } : {}),
        });
        // confide.audit.v1 (group lifecycle-audit): the other services' audited decisions and key
        // operations into the tenants' chains, once per event (docs/adr/0014-audit-over-the-bus.md).
        if (persistent) {
          auditSubscription = await subscribeToAuditEntries({
            bus: deps.bus,
            logger,
            recordAuditEntry: persistent.recordAuditEntry,
            ...(deps.consumer ? { options: deps.consumer } : {}),
          });
        }
      } catch (err) {
        await subscription?.close();
        subscription = undefined;
        if (persistent) await stopPersistence(persistent);
        throw err;
      }
      logger.info({ persistence: persistent !== undefined }, 'lifecycle started');
    },
    async stop() {
      const current = subscription;
      const audits = auditSubscription;
      subscription = undefined;
      auditSubscription = undefined;
      await current?.close();
      await audits?.close();
      if (persistent) await stopPersistence(persistent);
      await deps.onStop?.();
    },
    async ready() {
      return subscription !== undefined && (persistent === undefined || persistent.dataSource.isInitialized);
    },
  };
}
