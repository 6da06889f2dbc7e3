import { describe, expect, it } from 'vitest';
import manifest from '../../../manifest.json' with { type: 'json' };
import { FIREFOX_MIN_VERSION, GECKO_ID, firefoxManifest } from '../../../build/manifest-firefox';

describe('the Firefox manifest, derived from manifest.json', () => {
  const before = JSON.stringify(manifest);
  const ff = firefoxManifest(manifest);

  it('runs the same background entry as an event page', () => {
    expect(ff.background).toEqual({ scripts: [manifest.background.service_worker] });
    expect(JSON.stringify(ff)).not.toContain('service_worker');
  });

  it('declares a gecko id, the oldest Firefox with MAIN-world scripts and the data-collection field, and that nothing is collected', () => {
    expect(ff.browser_specific_settings.gecko).toEqual({
      id: GECKO_ID,
      strict_min_version: FIREFOX_MIN_VERSION,
      data_collection_permissions: { required: ['none'] },
    });
    expect(GECKO_ID).toMatch(/^[a-z0-9-._]+@[a-z0-9-._]+$/i);
    expect(Number(FIREFOX_MIN_VERSION.split('.')[0])).toBeGreaterThanOrEqual(142);
  });

  it('drops only what is Chrome-only; content scripts, permissions, CSP and the devtools page pass through unchanged', () => {
    const { background: _b, minimum_chrome_version: _m, ...chromeRest } = manifest as typeof manifest & { minimum_chrome_version?: string };
    const { background: _fb, browser_specific_settings: _g, ...ffRest } = ff;
    expect(ffRest).toEqual(chromeRest);
    expect('minimum_chrome_version' in ff).toBe(false);
    // The MAIN-world wrapper still runs at document_start.
    const main = (ff.content_scripts as { world?: string; run_at?: string }[]).find((c) => c.world === 'MAIN');
    expect(main?.run_at).toBe('document_start');
  });

  it('does not touch the object the Chrome build uses', () => {
    expect(JSON.stringify(manifest)).toBe(before);
    ff.content_scripts = [];
    expect(JSON.stringify(manifest)).toBe(before);
  });

  it('refuses a manifest it cannot turn into an event page', () => {
    expect(() => firefoxManifest({ manifest_version: 3, name: 'x', version: '1' })).toThrow(/service_worker/);
    expect(() => firefoxManifest({ manifest_version: 2, name: 'x', version: '1', background: { service_worker: 'a.js' } })).toThrow(/manifest_version/);
  });
});
