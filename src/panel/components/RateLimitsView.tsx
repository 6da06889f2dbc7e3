import type { Snapshot } from '../../shared/protocol';
import { bodyFor, type ResponseBody } from '../model/bodies';
import { formatDuration, formatTime, prettyData, retryCountdown } from '../model/format';
import { sortRateLimits } from '../model/views';
import { Empty } from './common';

export function RateLimitsView({ snapshot, now, bodies, bodiesAvailable }: { snapshot: Snapshot; now: number; bodies: readonly ResponseBody[]; bodiesAvailable: boolean }) {
  const list = sortRateLimits(snapshot.rateLimits);
  if (list.length === 0) return <Empty>No 429 (or Retry-After) responses seen yet.</Empty>;
  return (
    <div class="view rate-limits">
      {!bodiesAvailable && <p class="muted">Response bodies are read from DevTools’ network log, so they show only in the DevTools panel, for responses that came while DevTools was open.</p>}
      <table class="grid" data-testid="rate-limits" aria-label="Rate-limit responses">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Tab</th>
            <th scope="col">URL</th>
            <th scope="col">Status</th>
            <th scope="col">Retry-After</th>
            <th scope="col">Limit</th>
            <th scope="col">Current</th>
            <th scope="col">Retry</th>
            <th scope="col">Response body</th>
          </tr>
        </thead>
        <tbody>
          {list.map((rl, i) => {
            const countdown = retryCountdown(rl.at, rl.retryAfterMs, now);
            const body = bodyFor(bodies, rl);
            const pretty = body ? prettyData(body.body) : null;
            return (
              <tr key={`${rl.at}-${rl.url}-${i}`} data-status={rl.status}>
                <td class="mono">{formatTime(rl.at)}</td>
                <td>{rl.tabId}</td>
                <td class="url mono" title={rl.url}>{rl.method !== 'GET' ? `${rl.method} ` : ''}{rl.url}</td>
                <td class="bad">{rl.status}</td>
                <td data-testid="retry-after">{rl.retryAfterMs === null ? '—' : formatDuration(rl.retryAfterMs)}</td>
                <td data-testid="limit">{rl.limit ?? '—'}</td>
                <td data-testid="current">{rl.current ?? '—'}</td>
                <td data-testid="countdown" class={countdown.waiting ? 'warn' : 'muted'} aria-live="off">{countdown.text}</td>
                <td class="body">
                  {pretty ? (
                    <details>
                      <summary class="mono clip">{body?.body.slice(0, 80)}</summary>
                      <pre class="data mono" data-testid="response-body">{pretty.text}{body?.truncated ? '\n…(cut)' : ''}</pre>
                    </details>
                  ) : (
                    <span class="muted">{bodiesAvailable ? 'not captured' : '—'}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
