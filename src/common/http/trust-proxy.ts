/** proxy-addr's trust callback: is the address `hop` steps from the socket (0: the peer) a proxy of ours? */
export type TrustProxyFunction = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as Fastify takes it. A list of addresses/CIDRs goes as is. A hop count becomes a
 * function, because Fastify 5.12 deliberately trusts nothing for a plain number (a client that
 * reaches the service directly could claim any address); that holds only when the service is
 * reachable through its proxies alone, which is what the README asks of a hop count.
 */
export function fastifyTrustProxy(setting: false | number | string[]): false | string[] | TrustProxyFunction {
  if (typeof setting !== 'number') return setting;
  const hops = setting;
  return (_address, hop) => hop < hops;
}
