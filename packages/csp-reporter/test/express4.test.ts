import { createRequire } from 'node:module';
import type express from 'express';
import request from 'supertest';
import { errorHandler } from '@shieldwall/core';
import { cspReporter, type CspReport } from '../src/index.js';
import { legacyBody, reportingBody } from './helpers.js';

const load = createRequire(__filename);
const express4 = load('express4') as typeof express;

describe('csp-reporter on Express 4', () => {
  const received: CspReport[] = [];
  const app = express4();
  app.use(cspReporter({ version: 2, onReport: (r) => void received.push(r) }));
  app.use(errorHandler());
  const endpoint = '/api/csp-report-endpoint?version=2';

  it('accepts both formats and refuses the rest in the envelope', async () => {
    await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/reports+json')
      .send(reportingBody())
      .expect(204);
    expect(received.map((r) => r.policyVersion)).toEqual([2, 2]);
    const refused = await request(app).post(endpoint).set('Content-Type', 'text/plain').send('x').expect(415);
    expect(refused.body.error.code).toBe('unsupported_media_type');
    await request(app).get(endpoint).expect(405);
  });
});
