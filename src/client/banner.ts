/**
 * The connection banner, built with DOM APIs only (no innerHTML): a polite live region that
 * screen readers announce, readable contrast, a real <button> to dismiss it (Escape works
 * too). A dismissed kind of notice stays hidden (a retry loop must not bring it back every
 * second) until `resolved(kind)` says its cause went away.
 */
export type BannerKind = 'follower' | 'limit' | 'error';

const COLORS: Record<BannerKind, { bg: string; fg: string }> = {
  follower: { bg: '#e0f2fe', fg: '#0c4a6e' },
  limit: { bg: '#fde68a', fg: '#1f2937' },
  error: { bg: '#fecaca', fg: '#7f1d1d' },
};

export class ConnectionBanner {
  private root: HTMLElement | undefined;
  private text: HTMLElement | undefined;
  private kind: BannerKind | undefined;
  private readonly dismissed = new Set<BannerKind>();

  constructor(
    private readonly doc: Document,
    private readonly id = 'sse-limit-banner',
  ) {}

  show(kind: BannerKind, message: string): void {
    if (this.dismissed.has(kind)) return;
    const root = this.ensure();
    this.kind = kind;
    root.dataset['kind'] = kind;
    root.setAttribute('role', kind === 'follower' ? 'status' : 'alert');
    root.style.background = COLORS[kind].bg;
    root.style.color = COLORS[kind].fg;
    if (this.text && this.text.textContent !== message) this.text.textContent = message;
    root.hidden = false;
  }

  /** The cause of this kind of notice went away: show it again next time it happens. */
  resolved(kind: BannerKind): void {
    this.dismissed.delete(kind);
  }

  hide(): void {
    this.root?.remove();
    this.root = undefined;
    this.text = undefined;
    this.kind = undefined;
  }

  get visibleKind(): BannerKind | undefined {
    return this.root && !this.root.hidden ? this.kind : undefined;
  }

  private dismiss(): void {
    if (this.kind) this.dismissed.add(this.kind);
    this.hide();
  }

  private ensure(): HTMLElement {
    if (this.root?.isConnected) return this.root;
    const d = this.doc;
    d.getElementById(this.id)?.remove();
    const root = d.createElement('div');
    root.id = this.id;
    root.className = 'connection-limit-banner';
    root.setAttribute('aria-live', 'polite');
    Object.assign(root.style, {
      position: 'fixed',
      top: '0',
      left: '0',
      right: '0',
      zIndex: '1000',
      display: 'flex',
      alignItems: 'center',
      gap: '12px',
      padding: '10px 16px',
      font: '14px system-ui, sans-serif',
      boxShadow: '0 2px 8px rgba(0,0,0,.15)',
    });
    const text = d.createElement('span');
    text.className = 'banner-text';
    text.style.flex = '1';
    const button = d.createElement('button');
    button.type = 'button';
    button.className = 'banner-action';
    button.textContent = 'Got it';
    button.setAttribute('aria-label', 'Dismiss connection notice');
    Object.assign(button.style, {
      font: 'inherit',
      padding: '4px 12px',
      border: '1px solid currentColor',
      borderRadius: '4px',
      background: 'transparent',
      color: 'inherit',
      cursor: 'pointer',
    });
    button.addEventListener('click', () => this.dismiss());
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.dismiss();
    });
    root.append(text, button);
    (d.body ?? d.documentElement).appendChild(root);
    this.root = root;
    this.text = text;
    return root;
  }
}
