/**
 * User settings, kept with storage.sync, applied to the store and pushed to
 * every relay (the page script's preview length and message log rate).
 */
import browser from 'webextension-polyfill';
import { SETTINGS_KEY } from '../shared/constants';
import { DEFAULT_SETTINGS, parseSettingsPatch, type Settings } from '../shared/protocol';
import type { Store } from './store';

const KEY = SETTINGS_KEY;

export function mergeSettings(base: Settings, patch: Partial<Settings>): Settings {
  return {
    projectKeyRules: patch.projectKeyRules ? { ...patch.projectKeyRules } : base.projectKeyRules,
    previewBytes: patch.previewBytes ?? base.previewBytes,
    logEntries: patch.logEntries ?? base.logEntries,
    messageLogRate: patch.messageLogRate ?? base.messageLogRate,
  };
}

export class SettingsHolder {
  current: Settings = DEFAULT_SETTINGS;
  readonly ready: Promise<void>;
  private listeners = new Set<(s: Settings) => void>();

  constructor(private readonly store: Store) {
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    try {
      const stored = (await browser.storage.sync.get(KEY))[KEY];
      const parsed = parseSettingsPatch(stored ?? {});
      if (parsed.ok) this.apply(mergeSettings(DEFAULT_SETTINGS, parsed.patch));
    } catch (error) {
      console.warn('[SSE Connections] could not load settings', error);
    }
  }

  onChange(listener: (s: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async set(raw: unknown): Promise<{ ok: true; settings: Settings } | { ok: false; error: string }> {
    await this.ready;
    const parsed = parseSettingsPatch(raw);
    if (!parsed.ok) return parsed;
    const next = mergeSettings(this.current, parsed.patch);
    await browser.storage.sync.set({ [KEY]: next });
    this.apply(next);
    return { ok: true, settings: next };
  }

  private apply(settings: Settings): void {
    this.current = settings;
    this.store.rules = settings.projectKeyRules;
    this.store.logEntries = settings.logEntries;
    for (const l of this.listeners) l(settings);
  }
}
