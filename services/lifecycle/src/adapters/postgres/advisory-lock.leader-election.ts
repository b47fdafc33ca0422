import { Client } from 'pg';
import type { LeaderElection } from '../../ports/leader-election.port';

/** First key of the leadership advisory locks ("cfld"); the second is hashtext(<name>). */
export const LEADER_LOCK_CLASS = 0x63666c64;

export interface AdvisoryLockLeaderElectionOptions {
  /** Any role may take advisory locks: the application role's URL is enough. */
  databaseUrl: string;
  /** What is being led, e.g. "lifecycle.retention-scheduler". */
  name: string;
  connectionTimeoutMs?: number;
}

/**
 * Leader election by a PostgreSQL session advisory lock: `pg_try_advisory_lock(class,
 * hashtext(name))` on a dedicated connection. Exactly one session holds it; it is released by
 * `release()` (pg_advisory_unlock) or, when the leader dies, by PostgreSQL itself as soon as
 * the connection ends — a follower's next `tryAcquire` then wins. `isLeader` pings the
 * connection, so a leader whose connection broke (network, server restart, terminated backend)
 * learns that it no longer leads. The connection is opened lazily and re-opened after a failure.
 */
export class AdvisoryLockLeaderElection implements LeaderElection {
  private client: Client | undefined;
  private leading = false;

  constructor(private readonly options: AdvisoryLockLeaderElectionOptions) {}

  async tryAcquire(): Promise<boolean> {
    if (this.leading && (await this.isLeader())) return true;
    try {
      const client = await this.connection();
      const { rows } = await client.query<{ acquired: boolean }>('SELECT pg_try_advisory_lock($1::int4, hashtext($2)) AS acquired', [
        LEADER_LOCK_CLASS,
        this.options.name,
      ]);
      this.leading = rows[0]?.acquired === true;
    } catch {
      await this.drop();
    }
    return this.leading;
  }

  async isLeader(): Promise<boolean> {
    if (!this.leading || !this.client) return false;
    try {
      await this.client.query('SELECT 1');
      return true;
    } catch {
      await this.drop();
      return false;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.leading) {
      await client.query('SELECT pg_advisory_unlock($1::int4, hashtext($2))', [LEADER_LOCK_CLASS, this.options.name]).catch(() => undefined);
    }
    await this.drop();
  }

  /** The backend pid of the election connection (diagnostics and tests). */
  async backendPid(): Promise<number | undefined> {
    if (!this.client) return undefined;
    const { rows } = await this.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0]?.pid;
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      connectionTimeoutMillis: this.options.connectionTimeoutMs ?? 5000,
      application_name: 'confide-lifecycle-leader',
    });
    // A broken connection emits 'error' (it must not crash the process); the lock is gone with it.
    client.on('error', () => {
      this.leading = false;
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    this.leading = false;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }
}
