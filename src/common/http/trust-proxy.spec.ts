import { fastifyTrustProxy } from './trust-proxy';

describe('fastifyTrustProxy', () => {
  it('trusts exactly the given number of hops from the socket', () => {
    const trust = fastifyTrustProxy(1);
    if (typeof trust !== 'function') throw new Error('expected a function');
    expect(trust('10.0.0.1', 0)).toBe(true);
    expect(trust('198.51.100.7', 1)).toBe(false);
  });

  it('passes an address list and false through as Fastify takes them', () => {
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
    expect(fastifyTrustProxy(false)).toBe(false);
  });
});
