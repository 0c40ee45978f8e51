import { v7 as uuidv7 } from 'uuid';

/** Ids and request ids are UUIDv7 made exactly as Taskwright makes them. */
export { uuidv7 };

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id when it is sane, a fresh UUIDv7 otherwise. */
export function requestIdOf(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && SANE_REQUEST_ID.test(candidate) ? candidate : uuidv7();
}
