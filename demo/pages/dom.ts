/** Tiny DOM builder for the demo pages (no innerHTML anywhere). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function param(name: string, dflt: string): string {
  const v = new URLSearchParams(location.search).get(name);
  return v === null || v === '' ? dflt : v;
}
