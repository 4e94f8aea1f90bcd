import type { ServerResponse } from 'node:http';

/** Adds `field` to the response's `Vary` header once, keeping what is there. */
export function appendVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('Vary');
  const text = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current);
  const fields = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const lower = field.toLowerCase();
  if (fields.some((part) => part === '*' || part.toLowerCase() === lower)) return;
  fields.push(field);
  res.setHeader('Vary', fields.join(', '));
}
