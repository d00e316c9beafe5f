import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors.js';
import { StoreUnavailableError, isUnavailable } from './store-unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isUnavailable', () => {
  it('is true for a lost, refused or timed-out database, false for a wrong statement or a refused request', () => {
    for (const e of [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('sorry, too many clients already', '53300'),
      withCode('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new StoreUnavailableError('down'),
    ])
      expect(isUnavailable(e), e.message).toBe(true);
    for (const e of [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('could not serialize access', '40001'),
      withCode('syntax error', '42601'),
      new ServiceError('not_found', 'run x not found'),
      new Error('reservation timeout exceeded by the client'),
      'ECONNREFUSED',
    ])
      expect(isUnavailable(e), String(e)).toBe(false);
  });
});
