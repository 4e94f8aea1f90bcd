import type { Express } from 'express';
import type { Guards } from '../guards.js';
import type { Services } from '../services.js';

/**
 * A feature mounts its routes and, where it owns one, replaces a guard in `guards`. It may return a function that
 * releases what it holds (timers, connections) when the app closes.
 */
export type Feature = (
  app: Express,
  services: Services,
  guards: Guards,
) => Promise<(() => Promise<void>) | void>;
