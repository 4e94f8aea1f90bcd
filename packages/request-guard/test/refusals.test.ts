import express from 'express';
import request from 'supertest';
import { bodyGuard } from '../src/index.js';

// A bare app, as a Node team starts: no errorHandler() mounted.
function bareApp(guard = bodyGuard({ limit: 64 })) {
  const app = express();
  const bodies: unknown[] = [];
  app.post('/things', guard, (req, res) => {
    bodies.push(req.body);
    res.json({ ok: true });
  });
  return { app, bodies };
}

describe('bodyGuard refusals answer by themselves', () => {
  it.each([
    [
      'a body over the limit',
      'application/json',
      JSON.stringify({ x: 'a'.repeat(100) }),
      413,
      'payload_too_large',
    ],
    ['an unsupported Content-Type', 'text/plain', 'hello', 415, 'unsupported_media_type'],
    ['malformed JSON', 'application/json', '{"a": <script>}', 400, 'invalid_json'],
  ])(
    'answers %s as JSON without errorHandler, with no HTML, stack or echo',
    async (_n, type, body, status, code) => {
      const { app, bodies } = bareApp();
      const res = await request(app).post('/things').set('Content-Type', type).send(body).expect(status);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body.error.code).toBe(code);
      expect(res.text).not.toMatch(/<html|<pre|script|at .*\(/i);
      expect(bodies).toEqual([]);
    },
  );

  it('hands refusals to onRefused', async () => {
    const codes: string[] = [];
    const { app, bodies } = bareApp(
      bodyGuard({
        onRefused: (error, _req, res) => {
          codes.push(error.code);
          res.status(error.status).send('no');
        },
      }),
    );
    const res = await request(app).post('/things').set('Content-Type', 'text/plain').send('x').expect(415);
    expect(res.text).toBe('no');
    expect(codes).toEqual(['unsupported_media_type']);
    expect(bodies).toEqual([]);
    expect(() => bodyGuard({ onRefused: 'json' as never })).toThrow(/option `onRefused` is "json"/);
  });
});
