import { Writable } from 'node:stream';
import { createLogger } from '../../src';

class FakeLogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    cb();
  }
}

describe('createLogger', () => {
  it('redacts content, tokens and personal data at any depth and keeps ids', () => {
    const sink = new FakeLogSink();
    const logger = createLogger({ service: 'svc', destination: sink });
    logger.info(
      {
        meetingId: 'm-1',
        text: 'top-secret-text',
        transcript: 'top-secret-transcript',
        audio: 'top-secret-audio',
        token: 'top-secret-token',
        email: 'alice@example.com',
        segment: { id: 's-1', text: 'nested-secret', speakerLabel: 'Alice Label' },
        deep: { a: { b: { c: { transcript: 'deep-secret', email: 'bob@example.com' } } } },
        segments: [{ text: 'array-secret' }],
        participants: [{ id: 'p-1', speakerLabel: 'Carol Label' }],
        headers: { authorization: 'Bearer secret-bearer' },
      },
      'event processed',
    );
    expect(sink.lines).toHaveLength(1);
    const line = sink.lines[0] as string;
    for (const secret of [
      'top-secret-text',
      'top-secret-transcript',
      'top-secret-audio',
      'top-secret-token',
      'alice@example.com',
      'nested-secret',
      'Alice Label',
      'deep-secret',
      'bob@example.com',
      'array-secret',
      'Carol Label',
      'secret-bearer',
    ]) {
      expect(line).not.toContain(secret);
    }
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({
      service: 'svc',
      meetingId: 'm-1',
      text: '[redacted]',
      segment: { id: 's-1', text: '[redacted]' },
      deep: { a: { b: { c: { transcript: '[redacted]', email: '[redacted]' } } } },
      segments: [{ text: '[redacted]' }],
      participants: [{ id: 'p-1', speakerLabel: '[redacted]' }],
    });
  });

  it('redacts child-logger bindings too', () => {
    const sink = new FakeLogSink();
    createLogger({ service: 'svc', destination: sink }).child({ token: 'child-secret' }).info('hello');
    expect(sink.lines[0]).not.toContain('child-secret');
    expect(JSON.parse(sink.lines[0] as string).token).toBe('[redacted]');
  });
});
