/** Route templates for metrics and logs: ids and emails replaced, no query string. */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OBJECT_ID = /^[a-f0-9]{24}$/i;

/** `/orgs/5f1a.../invites/5f1a...` -> `/orgs/{id}/invites/{id}`; `:removeUser` suffixes kept. */
export function routeTemplate(path: string): string {
  const pathname = path.split('?')[0] ?? '';
  return pathname
    .split('/')
    .map((seg) => {
      const [head, ...action] = seg.split(':');
      const id = head ?? '';
      const decoded = safeDecode(id);
      const replaced =
        GUID.test(decoded) || OBJECT_ID.test(decoded) ? '{id}' : decoded.includes('@') ? '{email}' : id;
      return [replaced, ...action].join(':');
    })
    .join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
