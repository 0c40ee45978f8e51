import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { mapError, PROBLEM_CONTENT_TYPE, problemBody } from '../problem/problem-details.filter';

/**
 * Fastify's `frameworkErrors`: the router refuses a malformed URL (400) or an over-long path
 * parameter (414) before any hook or Nest filter runs, so this answers them the way the
 * ProblemDetailsFilter answers everything else. It replaces Nest's own handler, which only runs
 * the security-headers hook this app does not enable.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = mapError(error);
  reply
    .status(mapped.status)
    .header('x-request-id', request.id)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(problemBody(mapped, request.url.split('?')[0] ?? request.url, String(request.id)));
}

/** Node's parser errors: what the client did wrong, and the status Node itself would answer. */
function clientProblem(error: NodeJS.ErrnoException): { status: number; type: string; detail: string } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, type: 'request-timeout', detail: 'The request (headers or body) did not arrive within the time limit' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, type: 'request-header-fields-too-large', detail: 'The request line and headers are larger than the limit' };
    default:
      return { status: 400, type: 'bad-request', detail: 'The request is not valid HTTP/1.1' };
  }
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (a bad request line,
 * headers over the limit) or a timeout cut a slow request. No request object exists, so the
 * answer gets a fresh request id, logged with the reason, and `instance` names this occurrence
 * (`urn:uuid:<id>`) since no path was read. Written raw, as Node's own answer would be.
 */
export function clientErrorHandler(logger: Logger): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const problem = clientProblem(error);
    const requestId = uuidv7();
    logger.info({ requestId, status: problem.status, code: error.code }, 'client error');
    // Once a response has started on this connection, a second status line would corrupt it.
    if (socket.writable && socket.bytesWritten === 0) {
      const body = JSON.stringify(problemBody({ status: problem.status, type: problem.type, detail: problem.detail }, `urn:uuid:${requestId}`, requestId));
      socket.write(
        `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
          `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          'Cache-Control: no-store\r\n' +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroy(error);
  };
}
