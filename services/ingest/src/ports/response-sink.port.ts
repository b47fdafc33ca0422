import type { StreamMeetingResponse } from '@confide/contracts';

/** The response side of one StreamMeeting call. */
export interface ResponseSink {
  /**
   * Writes one response. Resolves when the transport can take more (flow control: the
   * gRPC adapter waits for 'drain' when the write buffer is full); rejects when the call
   * is gone (cancelled or closed).
   */
  send(response: StreamMeetingResponse): Promise<void>;
}
