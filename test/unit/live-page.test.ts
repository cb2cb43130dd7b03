import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { livePageRoute } from '../../src/aggregate/page/live-page.js';
import type { Reply } from '../../src/aggregate/http/api-server.js';

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

async function page(): Promise<Reply> {
  const reply = await livePageRoute().handle({} as never);
  if (reply === 'taken') throw new Error('the page route must answer with a reply');
  return reply;
}

describe('the live page', () => {
  it('is served at / as HTML with nosniff and a policy allowing exactly its inline script and style', async () => {
    expect(livePageRoute().path).toBe('/');
    const reply = await page();
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('text/html; charset=utf-8');
    expect(reply.headers?.['X-Content-Type-Options']).toBe('nosniff');
    const csp = reply.headers?.['Content-Security-Policy'] ?? '';
    const script = /<script>([\s\S]*)<\/script>/.exec(reply.body)?.[1] ?? '';
    const style = /<style>([\s\S]*)<\/style>/.exec(reply.body)?.[1] ?? '';
    expect(script).toContain("new EventSource('/api/stream')");
    expect(csp).toContain(`script-src ${sha256(script)}`);
    expect(csp).toContain(`style-src ${sha256(style)}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe');
  });

  it('loads nothing from elsewhere and never parses data as HTML', async () => {
    const { body } = await page();
    expect(body).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
