import type { IncomingMessage } from 'node:http';
import { v7 as uuidv7 } from 'uuid';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's request id generator: the client's X-Request-Id when it is sane (so a client can
 * correlate its logs with ours), a fresh UUIDv7 otherwise. Never trust arbitrary header content
 * into logs.
 */
export function requestIdFrom(request: IncomingMessage): string {
  return requestIdOf(request.headers['x-request-id']);
}

/** The same, from the header's value. */
export function requestIdOf(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && SANE_REQUEST_ID.test(candidate) ? candidate : uuidv7();
}
