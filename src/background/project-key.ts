/**
 * Which project a connection, channel or lock belongs to. Pure; the rules are
 * settings (stored with storage.sync) with these defaults.
 */
export interface ProjectKeyRules {
  /** Query parameters of a connection URL that name the project, first match wins. */
  queryParams: string[];
  /** Pattern applied to channel and lock names; `group` is the capture group holding the key. */
  namePattern: string;
  nameGroup: number;
}

export const DEFAULT_RULES: ProjectKeyRules = {
  queryParams: ['projectId', 'project_id', 'project'],
  namePattern: '^(chat|sse|project)[-:_](.+)$',
  nameGroup: 2,
};

export function projectKeyOfUrl(url: string, rules: ProjectKeyRules = DEFAULT_RULES): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  for (const param of rules.queryParams) {
    const value = parsed.searchParams.get(param);
    if (value) return value;
  }
  return null;
}

const compiled = new Map<string, RegExp | null>();

function compile(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
    compiled.set(pattern, re);
  }
  return re;
}

export function projectKeyOfName(name: string, rules: ProjectKeyRules = DEFAULT_RULES): string | null {
  const match = compile(rules.namePattern)?.exec(name);
  const key = match?.[rules.nameGroup];
  return key ? key : null;
}
