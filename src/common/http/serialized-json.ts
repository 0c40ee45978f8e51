/**
 * A response body already serialised to JSON text, so it is serialised once per response: the
 * user cache stores the text it sends, and the ETag is a hash of that same text. The global
 * HttpCachingInterceptor turns it into the reply's payload (a string with a JSON content
 * type, which Fastify sends as it is).
 */
export class SerializedJson {
  constructor(readonly json: string) {}

  static of(body: unknown): SerializedJson {
    return new SerializedJson(JSON.stringify(body) ?? 'null');
  }

  /** Should anything serialise it again, it still yields the same JSON. */
  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
