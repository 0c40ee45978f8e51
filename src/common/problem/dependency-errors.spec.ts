import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './dependency-errors';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function sqlState(code: string): DatabaseError {
  const error = new DatabaseError('server message', 0, 'error');
  error.code = code;
  return error;
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED')],
    ['a connect that timed out in the kernel', withCode('connect ETIMEDOUT 10.0.0.5:5432', 'ETIMEDOUT')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['an unknown host', withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND')],
    ['the query deadline (query_timeout)', new Error('Query read timeout')],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a connect that missed connectionTimeoutMillis', new Error('Connection terminated due to connection timeout')],
    ['the pool-acquire timeout', new Error('timeout exceeded when trying to connect')],
    ['a client whose socket died', new Error('Client has encountered a connection error and is not queryable')],
    ['SQLSTATE 08006 connection failure', sqlState('08006')],
    ['SQLSTATE 57P01 admin shutdown', sqlState('57P01')],
    ['SQLSTATE 57P02 crash shutdown', sqlState('57P02')],
    ['SQLSTATE 57P03 cannot connect now', sqlState('57P03')],
    ['SQLSTATE 53300 too many connections', sqlState('53300')],
  ])('recognises %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('looks inside TypeORM QueryFailedError, causes and AggregateError', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], new Error('Query read timeout')))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], sqlState('57P01')))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: withCode('x', 'ECONNREFUSED') }))).toBe(true);
    const aggregate = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'all attempts failed');
    expect(isDatabaseUnavailable(aggregate)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], sqlState('23505'))],
    ['a syntax error', sqlState('42601')],
    ['a statement the server cancelled (statement_timeout)', sqlState('57014')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a message that merely mentions a timeout', new Error('timeout while rendering')],
    ['a non-error', 'ECONNREFUSED'],
  ])('leaves %s alone', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('survives cyclic causes', () => {
    const error = new Error('loop') as Error & { cause?: unknown };
    error.cause = error;
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
