import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem.exception';

/**
 * Deeper than any body this API takes (a task is an object holding an array of strings: depth 2),
 * with room for clients that wrap; far below what makes JSON.parse slow or class-transformer
 * overflow the stack (a 100 KB `[[[…]]]` cost ~100 ms in JSON.parse, then a RangeError: 500).
 */
const JSON_MAX_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * One linear pass over the text counting open arrays and objects outside strings. It does not
 * validate: JSON.parse still refuses malformed text (after this pass, so a deep body never gets
 * that far). Char codes rather than characters: no string is allocated per step.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** JSON is UTF-8 (RFC 8259 §8.1): a body declared in another charset would be read wrongly. */
function declaresOtherCharset(request: FastifyRequest): boolean {
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  return charset !== undefined && charset !== 'utf-8' && charset !== 'utf8';
}

/**
 * The only body parser: `application/json` (any other media type, forms and `application/*+json`
 * lookalikes included, is 415 because Fastify finds no parser). Fastify's own JSON parser does the
 * parsing, with its prototype-poisoning checks, after the depth pass. No bodyLimit here, so each
 * route's own limit applies (see BodyLimit).
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (declaresOtherCharset(request)) {
      done(new ProblemException(415, 'unsupported-media-type', 'Send the request body as application/json in UTF-8'), undefined);
      return;
    }
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (exceedsJsonDepth(text, JSON_MAX_DEPTH)) {
      done(new ProblemException(400, 'json-too-deep', `The JSON body nests arrays and objects deeper than ${JSON_MAX_DEPTH} levels`), undefined);
      return;
    }
    parse(request, text, done);
  });
}
