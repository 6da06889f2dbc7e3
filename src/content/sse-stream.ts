/**
 * Turns the bytes of a text/event-stream response into events, the way an
 * EventSource would dispatch them. The line parsing is `eventsource-parser`
 * (v3, well kept, WHATWG-conformant); this module adds what that library
 * leaves to its caller:
 *  - UTF-8 decoding in stream mode; the decoder drops a leading BOM (the
 *    library only strips a BOM it sees as three Latin-1 characters);
 *  - the event type default `message`;
 *  - the last event ID, which per the spec persists from one event to the
 *    next (the library reports only the id field of the event itself);
 *  - the reconnection time from `retry:`.
 * At the end of the stream an event without its blank line is discarded, as
 * the spec says.
 */
import { createParser } from 'eventsource-parser';
import { apply } from './natives';

// Taken at startup: the page may replace TextDecoder later.
const NativeTextDecoder = TextDecoder;
const decode = TextDecoder.prototype.decode;
const streamOption = Object.freeze(Object.assign(Object.create(null) as { stream: boolean }, { stream: true }));

export interface SseEvent {
  type: string;
  data: string;
  lastEventId: string;
}

export interface SseStream {
  /** Feed raw bytes (a chunk of the response body). */
  push(bytes: Uint8Array): void;
  /** Feed already decoded text (tests, or a text source). */
  pushText(text: string): void;
  /** End of stream: flush the decoder; an unterminated event is dropped. */
  end(): void;
  readonly retryMs: number | null;
  readonly lastEventId: string;
}

export function createSseStream(onEvent: (event: SseEvent) => void): SseStream {
  const decoder = new NativeTextDecoder('utf-8');
  let lastEventId = '';
  let retryMs: number | null = null;
  const parser = createParser({
    onEvent(message) {
      if (message.id !== undefined) lastEventId = message.id;
      onEvent({ type: message.event ?? 'message', data: message.data, lastEventId });
    },
    onRetry(ms) {
      retryMs = ms;
    },
  });
  return {
    push(bytes) {
      const text = apply(decode, decoder, [bytes, streamOption]) as string;
      if (text !== '') parser.feed(text);
    },
    pushText(text) {
      parser.feed(text);
    },
    end() {
      const rest = apply(decode, decoder, []) as string;
      if (rest !== '') parser.feed(rest);
      parser.reset(); // drops an event that never got its blank line
    },
    get retryMs() {
      return retryMs;
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
