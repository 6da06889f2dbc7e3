import { describe, expect, it } from 'vitest';
import { isPreactInnerHtml, judge, type LintMessage, type LintReport } from '../../../build/lint-firefox';

// What Preact's diff looks like once minified (from the real dist-firefox build).
const PREACT = "u==`dangerouslySetInnerHTML`?d=m:u==`value`?h=m:0;d?(s||f&&(d.__html==f.__html||d.__html==e.innerHTML)||(e.innerHTML=d.__html),t.__k=[]):0";
const col = PREACT.indexOf('e.innerHTML=d.__html') + 1;

const warning = (over: Partial<LintMessage> = {}): LintMessage => ({
  _type: 'warning',
  code: 'UNSAFE_VAR_ASSIGNMENT',
  message: 'Unsafe assignment to innerHTML',
  file: 'assets/panel.js',
  line: 1,
  column: col,
  ...over,
});

const report = (messages: LintMessage[]): LintReport => ({
  count: messages.length,
  summary: {
    errors: messages.filter((m) => m._type === 'error').length,
    notices: messages.filter((m) => m._type === 'notice').length,
    warnings: messages.filter((m) => m._type === 'warning').length,
  },
  errors: messages.filter((m) => m._type === 'error'),
  notices: messages.filter((m) => m._type === 'notice'),
  warnings: messages.filter((m) => m._type === 'warning'),
});

describe('lint-firefox: which web-ext lint messages fail the build', () => {
  it("accepts Preact's own innerHTML assignment, and only there", () => {
    expect(isPreactInnerHtml(warning(), PREACT)).toBe(true);
    expect(isPreactInnerHtml(warning(), 'el.innerHTML = event.data;')).toBe(false);
    expect(isPreactInnerHtml(warning({ code: 'UNSAFE_VAR_ASSIGNMENT', column: undefined }), PREACT)).toBe(false);
    expect(isPreactInnerHtml(warning({ code: 'DANGEROUS_EVAL' }), PREACT)).toBe(false);
    expect(isPreactInnerHtml(warning({ _type: 'error' }), PREACT)).toBe(false);
  });

  it('a clean report passes; any error, notice or other warning fails', () => {
    const src = () => PREACT;
    expect(judge(report([]), src).ok).toBe(true);
    expect(judge(report([warning()]), src)).toMatchObject({ ok: true, accepted: [warning()] });
    expect(judge(report([warning(), { _type: 'notice', code: 'X', message: 'x' }]), src).ok).toBe(false);
    expect(judge(report([{ _type: 'error', code: 'MANIFEST_FIELD_REQUIRED', message: 'x' }]), src).ok).toBe(false);
    expect(judge(report([warning({ file: 'assets/other.js' })]), () => 'x.innerHTML = y').ok).toBe(false);
  });

  it('refuses a second match: only one Preact renderer is expected in the bundle', () => {
    const v = judge(report([warning(), warning({ file: 'assets/b.js' })]), () => PREACT);
    expect(v.ok).toBe(false);
    expect(v.accepted).toEqual([]);
  });
});
