#!/usr/bin/env node
// Kafka helper for scripts/infra (kafkajs from packages/platform's dependencies).
//   node scripts/infra/kafka-admin.js wait <brokers> <seconds>   until the broker answers metadata
//   node scripts/infra/kafka-admin.js provision <brokers>        create/extend the project's topics
//   node scripts/infra/kafka-admin.js check <brokers>            produce + consume on a scratch topic
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');

const repo = path.resolve(__dirname, '..', '..');
const { Kafka, logLevel } = require(require.resolve('kafkajs', { paths: [path.join(repo, 'packages', 'platform')] }));

const [cmd, brokers = '127.0.0.1:19092', arg] = process.argv.slice(2);
const kafka = new Kafka({
  clientId: 'confide-infra',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 3000,
  retry: { retries: 3, initialRetryTime: 200 },
});

function topicList() {
  const mirror = JSON.parse(fs.readFileSync(path.join(__dirname, 'topics.json'), 'utf8')).topics;
  const built = path.join(repo, 'packages', 'platform', 'dist', 'event-bus', 'topics.js');
  if (fs.existsSync(built)) {
    try {
      const specs = require(built).topicSpecs.map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs }));
      const norm = (l) => JSON.stringify(l.map((t) => [t.name, t.partitions, t.retentionMs ?? null]).sort());
      if (norm(specs) !== norm(mirror)) {
        console.error('kafka-admin: WARNING scripts/infra/topics.json differs from packages/platform topicSpecs; using topicSpecs');
        return specs;
      }
    } catch (e) {
      console.error(`kafka-admin: could not load ${built} (${e.message}); using scripts/infra/topics.json`);
    }
  }
  return mirror;
}

async function wait(seconds) {
  const deadline = Date.now() + Number(seconds || 60) * 1000;
  let last;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const c = await admin.describeCluster();
      if (c.brokers.length > 0 && c.controller !== null) return;
    } catch (e) {
      last = e;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`broker ${brokers} not ready: ${last ? last.message : 'no controller'}`);
}

async function provision() {
  const wanted = topicList();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const create = wanted.filter((t) => !existing.has(t.name));
    if (create.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: create.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : [],
        })),
      });
    }
    // Existing topics: grow partitions (never shrink) and re-apply retention.
    const meta = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) });
    const grow = [];
    for (const t of wanted) {
      const m = meta.topics.find((x) => x.name === t.name);
      if (m && m.partitions.length < t.partitions) grow.push({ topic: t.name, count: t.partitions });
    }
    if (grow.length) await admin.createPartitions({ topicPartitions: grow });
    const withRetention = wanted.filter((t) => t.retentionMs);
    if (withRetention.length) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: withRetention.map((t) => ({ type: 2, name: t.name, configEntries: [{ name: 'retention.ms', value: String(t.retentionMs) }] })),
      });
    }
    console.log(`kafka: ${wanted.length} topics (${create.length} created, ${grow.length} grown)`);
  } finally {
    await admin.disconnect();
  }
}

async function check() {
  const topic = 'confide.infra-check.v1';
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '600000' }] }] });
    }
    const present = new Set(await admin.listTopics());
    const absent = topicList().map((t) => t.name).filter((t) => !present.has(t));
    if (absent.length) throw new Error(`missing topics: ${absent.join(', ')}`);
  } finally {
    await admin.disconnect();
  }
  const id = crypto.randomUUID();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'infra-check', value: id }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `confide-infra-check-${id}`, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const started = Date.now();
  const got = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('message not consumed within 30s')), 30000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          if (message.value && message.value.toString() === id) {
            clearTimeout(timer);
            resolve(true);
          }
        },
      })
      .catch(reject);
  }).finally(() => consumer.disconnect().catch(() => {}));
  const admin2 = kafka.admin();
  await admin2.connect();
  await admin2.deleteGroups([`confide-infra-check-${id}`]).catch(() => {});
  await admin2.disconnect();
  if (got) console.log(`produced and consumed a message on ${topic} in ${Date.now() - started} ms`);
}

const commands = { wait: () => wait(arg), provision, check };
if (!commands[cmd]) {
  console.error('usage: kafka-admin.js wait|provision|check <brokers> [seconds]');
  process.exit(2);
}
commands[cmd]().then(
  () => process.exit(0),
  (e) => {
    console.error(`kafka-admin ${cmd}: ${e.message}`);
    process.exit(1);
  },
);
