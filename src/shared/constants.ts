/**
 * Constants of the protocol (see protocol.ts for the messages themselves).
 * No imports: the MAIN-world page script takes these without any validator.
 */
/** Version of the wire protocol between page script, relay and worker. */
export const PROTOCOL_VERSION = 1;
/** Version of the snapshot format (`docs/snapshot-format.md`). */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/** Event type the MAIN-world script dispatches on `document` (page -> relay). */
export const PAGE_EVENT_TYPE = 'sse-connections:page';
/** Event type the relay dispatches on `document` (relay -> page). */
export const RELAY_EVENT_TYPE = 'sse-connections:relay';
/** Tag carried by every page batch; it routes, it proves nothing. */
export const PAGE_SOURCE = 'sse-connections-page';
/** Name of the long-lived port from relay to worker. */
export const RELAY_PORT_NAME = 'sse-relay';
/** storage.sync key of the user's settings (written by the worker, read by relays at start). */
export const SETTINGS_KEY = 'sync:settings';
/** Prefix of the port a panel opens; the suffix is the inspected tab id. */
export const PANEL_PORT_PREFIX = 'panel:';

/** Bounds on what a page may send. Anything over them is dropped and counted. */
export const LIMITS = {
  /** Longest URL or channel / lock name kept. */
  maxUrl: 4096,
  maxName: 512,
  /** Longest data preview the page script sends (bytes of UTF-16 code units). */
  maxPreview: 64 * 1024,
  /** Default preview length; configurable up to maxPreview. */
  defaultPreview: 2048,
  /** Events in one batch. */
  maxBatchEvents: 512,
  /** Characters of one serialized batch. */
  maxBatchChars: 4 * 1024 * 1024,
  /** Queue length in the page before the oldest events are dropped. */
  maxPageQueue: 10_000,
  /** Header values kept per response. */
  maxHeaderValue: 1024,
  maxHeaders: 32,
  maxMessage: 1024,
  /**
   * Messages logged one by one per second per connection or channel, by
   * default (the `messageLogRate` setting; 0 logs every message). Messages
   * over the rate are counted, not dropped: the page sends one summary
   * (`es:message-summary` etc.) for them, and every counter stays exact.
   */
  defaultMessageLogRate: 200,
  maxMessageLogRate: 1_000_000,
} as const;
