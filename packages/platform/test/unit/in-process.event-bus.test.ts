import { InProcessEventBus, murmur2, partitionForKey } from '../../src';
import { describeEventBusContract } from '../support/event-bus.contract';

let run = 0;
describeEventBusContract('InProcessEventBus', async () => {
  const bus = new InProcessEventBus({ defaultPartitions: 4 });
  const prefix = `t${(run += 1)}`;
  return { bus, topic: (base) => `${prefix}.${base}`, cleanup: () => bus.close() };
});

describe('InProcessEventBus specifics', () => {
  it('maps keys to partitions like Kafka (murmur2, positive modulo)', () => {
    // Reference values from kafkajs' default partitioner (Kafka's Utils.murmur2).
    const reference: Array<[string, number, number]> = [
      ['a', -1563381124, 4],
      ['meeting-1', 720959251, 1],
      ['tenant-42', -578463882, 2],
      ['', 275646681, 3],
      ['abcde', 461995741, 1],
      ['0123456789abcdef', 1438427052, 0],
    ];
    for (const [key, hash, partition] of reference) {
      expect(murmur2(Buffer.from(key))).toBe(hash);
      expect(partitionForKey(key, 6)).toBe(partition);
    }
  });

  it('auto-creates topics on publish and delivers from the beginning by default', async () => {
    const bus = new InProcessEventBus();
    try {
      await bus.publish('auto.topic', [{ key: 'k', value: Buffer.from('x') }]);
      const got: string[] = [];
      await bus.subscribe({ groupId: 'g', topics: ['auto.topic'], handler: async (m) => void got.push(m.value.toString()) });
      const deadline = Date.now() + 2000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['x']);
    } finally {
      await bus.close();
    }
  });

  it('starts a new group at the end of the log when fromBeginning is false', async () => {
    const bus = new InProcessEventBus({ defaultPartitions: 1 });
    try {
      await bus.publish('late.topic', [{ key: 'k', value: Buffer.from('old') }]);
      const got: string[] = [];
      await bus.subscribe({ groupId: 'g', topics: ['late.topic'], fromBeginning: false, handler: async (m) => void got.push(m.value.toString()) });
      await bus.publish('late.topic', [{ key: 'k', value: Buffer.from('new') }]);
      const deadline = Date.now() + 2000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['new']);
    } finally {
      await bus.close();
    }
  });
});
