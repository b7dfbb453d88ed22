/**
 * A tiny path router: patterns like `/orgs/{orgId}/teams/{teamId}:removeUser`. Params are
 * percent-decoded. `match` tells a 404 (no pattern) from a 405 (pattern, other method).
 */
export interface RouteDef<M> {
  method: string;
  pattern: string;
  meta: M;
}

interface Compiled<M> extends RouteDef<M> {
  regex: RegExp;
  names: string[];
}

export type RouteMatch<M> =
  | { kind: 'ok'; route: RouteDef<M>; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

export class Router<M> {
  private readonly routes: Compiled<M>[];

  constructor(defs: RouteDef<M>[]) {
    this.routes = defs.map((d) => {
      const names: string[] = [];
      const src = d.pattern
        .split(/(\{[A-Za-z]+\})/)
        .map((part) => {
          const m = /^\{([A-Za-z]+)\}$/.exec(part);
          if (m) {
            names.push(m[1]!);
            return '([^/]+?)';
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { ...d, regex: new RegExp(`^${src}/?$`), names };
    });
  }

  match(method: string, path: string): RouteMatch<M> {
    const allowed: string[] = [];
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      if (r.method !== method) {
        allowed.push(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = safeDecode(m[i + 1]!);
      });
      return { kind: 'ok', route: r, params };
    }
    return allowed.length ? { kind: 'method', allowed } : { kind: 'none' };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
