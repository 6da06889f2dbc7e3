/** Titles and next steps for the worker's anomalies, in the user's words. */
import { assertNever, type SnapshotAnomaly } from '../../shared/protocol';

export interface AnomalyHelp {
  title: string;
  /** What to do about it (the worker's message says what happened). */
  action: string;
  severity: 'error' | 'warning';
}

export function anomalyHelp(kind: SnapshotAnomaly['kind']): AnomalyHelp {
  switch (kind) {
    case 'split-brain':
      return {
        title: 'More than one leader',
        action: 'Elect the leader with navigator.locks.request(name, …) so only one tab can hold it; reload one of the leading tabs to see the other keep the lead.',
        severity: 'error',
      };
    case 'stranded-followers':
      return {
        title: 'Followers without a leader',
        action: 'Queue every follower on the leader lock (it is granted when the leader goes), or add a heartbeat watchdog that allows for throttled timers in hidden tabs.',
        severity: 'error',
      };
    case 'over-limit':
      return {
        title: 'Over the server’s connection limit',
        action: 'Keep one connection per project in a leader tab and relay its messages to the other tabs over BroadcastChannel.',
        severity: 'error',
      };
    case 'retry-storm':
      return {
        title: 'Reconnects before Retry-After',
        action: 'Wait at least Retry-After (plus jitter) before reconnecting, and let only the leader retry.',
        severity: 'warning',
      };
    case 'origin-connection-limit':
      return {
        title: 'Browser connection limit for one host',
        action: 'Share one connection across tabs, or serve the stream over HTTP/2, where the six-per-host limit does not apply.',
        severity: 'warning',
      };
    default:
      return assertNever(kind);
  }
}
