import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';

/** A mail as the SMTP server received it, parsed. */
export interface CaughtMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** The first link of the plain-text body. */
  link?: string;
  /** The `token` query parameter of that link. */
  token?: string;
  receivedAt: number;
}

/**
 * A real SMTP server in the test process (the `smtp-server` package; plain SMTP, no auth) that
 * parses every mail it accepts (`mailparser`). `stop()` and `start()` again on the same port
 * simulate an outage. TEST_PRINT_MAILS=1 prints each mail received.
 */
export class MailCatcher {
  readonly mails: CaughtMail[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((address) => address.value.map((v) => v.address ?? ''));
            const text = parsed.text ?? '';
            const link = /https?:\/\/\S+/.exec(text)?.[0];
            if (process.env.TEST_PRINT_MAILS === '1') {
              process.stdout.write(
                `mail received: ${JSON.stringify({ to: parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '', subject: parsed.subject, text: parsed.text })}\n`,
              );
            }
            this.mails.push({
              to,
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              link,
              token: link === undefined ? undefined : (new URL(link).searchParams.get('token') ?? undefined),
              receivedAt: Date.now(),
            });
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The mails to this address (case-insensitive), oldest first. */
  to(address: string): CaughtMail[] {
    return this.mails.filter((mail) => mail.to.some((to) => to.toLowerCase() === address.toLowerCase()));
  }

  /** Waits for the `count`-th mail to this address whose subject matches, and returns it. */
  async waitFor(address: string, subject: RegExp, { count = 1, timeoutMs = 10_000 } = {}): Promise<CaughtMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.to(address).filter((mail) => subject.test(mail.subject));
      const mail = found[count - 1];
      if (mail) return mail;
      if (Date.now() > deadline)
        throw new Error(
          `no mail ${subject} to ${address} within ${timeoutMs} ms (got: ${this.mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ')})`,
        );
      await sleep(50);
    }
  }
}

/** The app settings that point it at a catcher and make the outbox quick for tests. */
export function mailEnv(catcher: MailCatcher): Record<string, string> {
  return {
    SMTP_URL: catcher.url,
    PUBLIC_APP_URL: 'https://app.example.test',
    SMTP_TIMEOUT_MS: '2000',
    OUTBOX_POLL_INTERVAL_MS: '100',
    OUTBOX_RETRY_BASE_MS: '200',
    OUTBOX_RETRY_MAX_MS: '1000',
  };
}
