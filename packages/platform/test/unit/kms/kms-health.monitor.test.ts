import { KmsHealthMonitor, type KmsHealth } from '../../../src/kms';

describe('KmsHealthMonitor', () => {
  it('reports only changes: down on a failed probe or a reported failure, up when a probe succeeds', async () => {
    let health: KmsHealth | 'throws' = 'ok';
    const changes: boolean[] = [];
    const monitor = new KmsHealthMonitor({
      kms: { health: async () => (health === 'throws' ? Promise.reject(new Error('ECONNREFUSED')) : health) },
      intervalMs: 60_000,
      onChange: (available) => changes.push(available),
    });
    await monitor.start();
    expect(monitor.available).toBe(true);
    expect(changes).toEqual([]);

    health = 'unavailable';
    await monitor.probe();
    await monitor.probe();
    expect(changes).toEqual([false]);
    expect(monitor.available).toBe(false);

    health = 'ok';
    await monitor.probe();
    expect(changes).toEqual([false, true]);

    monitor.reportUnavailable();
    expect(changes).toEqual([false, true, false]);
    health = 'throws';
    await monitor.probe();
    expect(changes).toEqual([false, true, false]);
    health = 'ok';
    await monitor.probe();
    expect(changes).toEqual([false, true, false, true]);
    monitor.stop();
  });

  it('probes on its interval and stops reporting once stopped', async () => {
    let probes = 0;
    let health: KmsHealth = 'ok';
    const changes: boolean[] = [];
    const monitor = new KmsHealthMonitor({
      kms: {
        health: async () => {
          probes += 1;
          return health;
        },
      },
      intervalMs: 5,
      onChange: (available) => changes.push(available),
    });
    await monitor.start();
    health = 'unavailable';
    const deadline = Date.now() + 5000;
    while (changes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(changes).toEqual([false]);
    expect(probes).toBeGreaterThan(1);
    monitor.stop();
    health = 'ok';
    await monitor.probe();
    monitor.reportUnavailable();
    expect(changes).toEqual([false]);
  });
});
