import express from 'express';
import request from 'supertest';
import { errorHandler } from '@shieldwall/core';
import { requireParticipation } from '../src/index.js';

function app(volume: number | undefined) {
  const reached: number[] = [];
  const a = express();
  a.post('/join', requireParticipation({ figure: async () => volume, threshold: 100_000 }), (_req, res) => {
    reached.push(1);
    res.json({ ok: true });
  });
  a.use(errorHandler());
  return { request: request(a), reached };
}

describe('requireParticipation', () => {
  it('admits a figure at the threshold', async () => {
    const t = app(100_000);
    await t.request.post('/join').expect(200);
    expect(t.reached).toHaveLength(1);
  });

  it.each([99_999, 0, undefined, Number.NaN])(
    'refuses %p with 403 participation_threshold_not_met and the threshold',
    async (volume) => {
      const t = app(volume);
      const res = await t.request.post('/join');
      expect(res.status).toBe(403);
      expect(res.body.error).toEqual({
        code: 'participation_threshold_not_met',
        message: 'Your recent activity does not yet qualify for this.',
        metric: 'recentVolume',
        threshold: 100_000,
      });
      expect(t.reached).toHaveLength(0);
    },
  );

  it('rejects bad options at start-up', () => {
    expect(() => requireParticipation({ figure: () => 1, threshold: -1 })).toThrow(/threshold/);
    expect(() => requireParticipation({ threshold: 1 } as never)).toThrow(/figure/);
  });
});
