import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Alert, TranscriptSegment } from '@confide/contracts';
import { werDetails } from '@confide/testing';
import { loadMeetingSample } from './meeting-sample';
import { streamMeetingAudio } from './meeting-streamer';

export interface DemoOptions {
  grpcAddress: string;
  httpBaseUrl: string;
  sampleDir: string;
  fast: boolean;
  tenantId: string;
  /**
   * A bearer token of a user of `tenantId` allowed to stream, read and erase the
   * meeting (admin or owner, with MFA: erasure requires it).
   */
  token: string;
  out: NodeJS.WritableStream;
}

const fmtTime = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${Math.floor((ms % 1000) / 100)}`;
};

/**
 * The demo meeting, end to end: streams the sample through ingest, prints partial and
 * final lines live, then the alerts and report, reads the transcript back through the
 * REST API, erases the meeting and shows the transcript is gone. Resolves with the
 * word error rate of the final transcript against the script; rejects on any failure.
 */
export async function runDemo(opts: DemoOptions): Promise<{ wer: number; meetingId: string }> {
  const say = (line = ''): void => {
    opts.out.write(line + '\n');
  };
  const sample = loadMeetingSample(opts.sampleDir);
  const meetingId = `demo-${randomUUID()}`;
  say(`Confide demo — "${sample.title}", ${(sample.durationMs / 1000).toFixed(1)} s, ${sample.participants.length} speakers` +
    (opts.fast ? ' (fast: no real-time pacing)' : ' (streamed in real time; --fast to skip the pacing)'));
  say(`meeting ${meetingId}, tenant ${opts.tenantId}`);
  say();

  const lastPartial = new Map<string, string>();
  const result = await streamMeetingAudio({
    address: opts.grpcAddress,
    // The same user streams the meeting (meeting:stream) and later reads and erases it.
    token: opts.token,
    tenantId: opts.tenantId,
    meetingId,
    title: sample.title,
    participants: sample.participants,
    tracks: sample.tracks,
    realtime: !opts.fast,
    onSegment: (s: TranscriptSegment) => {
      if (s.isFinal) {
        say(`  final    [${fmtTime(s.startMs)}–${fmtTime(s.endMs)}] ${s.speakerLabel}: ${s.text}`);
      } else if (s.text && lastPartial.get(s.segmentId) !== s.text) {
        lastPartial.set(s.segmentId, s.text);
        say(`  partial  [${fmtTime(s.startMs)}] ${s.speakerLabel}: ${s.text}…`);
      }
    },
    onAlert: (a: Alert) => say(`  ALERT    [${fmtTime(a.startMs)}] ${a.ruleId}: ${a.message}`),
  });

  say();
  say(`Alerts (${result.alerts.length}):`);
  for (const a of result.alerts) say(`  - [${a.speakerLabel} ${fmtTime(a.startMs)}] ${a.ruleId} — ${a.message}`);
  const report = result.report;
  if (!report) throw new Error('the meeting completed without a report');
  say();
  say(`Report (${report.engine}):`);
  say(`  Summary: ${report.summary}`);
  say('  Action items:');
  for (const item of report.actionItems) say(`    - ${item.owner ? `${item.owner}: ` : ''}${item.text}`);
  if (report.actionItems.length === 0) say('    (none)');
  say('  Decisions:');
  for (const d of report.decisions) say(`    - ${d.text}`);
  if (report.decisions.length === 0) say('    (none)');

  // Word error rate of the final transcript against the script, per speaker and overall.
  let refWords = 0;
  let errors = 0;
  const perSpeaker: string[] = [];
  for (const p of sample.participants) {
    const hyp = result.finals
      .filter((s) => s.trackId === p.id)
      .sort((a, b) => a.startMs - b.startMs)
      .map((s) => s.text)
      .join(' ');
    const w = werDetails(sample.reference[p.id] ?? '', hyp);
    refWords += w.referenceWords;
    errors += w.substitutions + w.deletions + w.insertions;
    perSpeaker.push(`${p.speakerLabel} ${(w.wer * 100).toFixed(1)}%`);
  }
  const wer = refWords === 0 ? 0 : errors / refWords;
  say();
  say(`Final segments: ${result.finals.length} (after ${result.partialCount} partials); word error rate against the script: ${(wer * 100).toFixed(1)}% (${perSpeaker.join(', ')})`);

  // Read back through the REST API, erase, and show it is gone.
  const headers = { Authorization: `Bearer ${opts.token}` };
  const url = `${opts.httpBaseUrl}/api/meetings/${encodeURIComponent(meetingId)}`;
  const transcript = await fetch(`${url}/transcript`, { headers });
  if (transcript.status !== 200) throw new Error(`GET transcript returned ${transcript.status}`);
  const body = (await transcript.json()) as { segments?: unknown[] };
  say(`GET  /api/meetings/${meetingId}/transcript → 200, ${body.segments?.length ?? 0} segments stored`);
  const del = await fetch(url, { method: 'DELETE', headers });
  if (del.status !== 200) throw new Error(`DELETE meeting returned ${del.status}`);
  say(`DELETE /api/meetings/${meetingId} → ${del.status} ${JSON.stringify(await del.json())}`);
  const after = await fetch(`${url}/transcript`, { headers });
  if (after.status !== 404) throw new Error(`transcript still readable after deletion (status ${after.status})`);
  say(`GET  /api/meetings/${meetingId}/transcript → 404: the meeting's transcript is gone.`);
  return { wer, meetingId };
}

export const defaultSampleDir = (): string => path.resolve(__dirname, '..', '..', '..', '..', 'samples', 'meeting');
