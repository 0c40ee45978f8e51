import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProblemException } from '../common/problem/problem.exception';
import { AppConfig } from '../config/app-config';
import { type ConsumedEvent, type OutboxFailure, OutboxService } from '../outbox/outbox.service';
import { type MailMessage, MailTransport } from './mail-transport';
import { SealedBox } from './sealed-box';

const MAIL_TOPIC = 'mail';

/** The outbox payload of a mail: who and what in clear, the bodies (which hold the link) sealed. */
interface MailPayload {
  to: string;
  subject: string;
  /** SealedBox of JSON { text, html, link }; dropped once the mail is settled. */
  sealed?: string;
}

interface MailBodies {
  text: string;
  html: string;
  link?: string;
}

function isMailPayload(payload: Record<string, unknown>): payload is Record<string, unknown> & Required<MailPayload> {
  return typeof payload.to === 'string' && typeof payload.subject === 'string' && typeof payload.sealed === 'string';
}

/**
 * An SMTP reply decides: 5xx will never succeed, 4xx may later. No reply at all (connection refused
 * or reset, DNS, a timeout) means the server is unreachable: the mail waits for it. A payload that
 * cannot be opened (sealed under another JWT_SECRET) is permanent.
 */
function classifyMailFailure(error: unknown): OutboxFailure {
  if (error instanceof UnreadableMail) return 'permanent';
  const responseCode = typeof error === 'object' && error !== null ? (error as { responseCode?: unknown }).responseCode : undefined;
  if (typeof responseCode === 'number') return responseCode >= 500 ? 'permanent' : 'refused';
  return 'unreachable';
}

class UnreadableMail extends Error {}

/**
 * Outgoing mail through the outbox: `enqueue` writes it in the caller's transaction, and the
 * `mail` consumer sends it once that transaction committed, through SMTP or, with no SMTP_URL
 * outside production, the log. In production without SMTP_URL mail is off: routes that exist to
 * send mail answer 503 `mail-unavailable` (assertAvailable).
 */
@Injectable()
export class MailService implements OnModuleInit {
  private readonly logger = new Logger(MailService.name);
  private readonly box: SealedBox;

  constructor(
    private readonly outbox: OutboxService,
    private readonly transport: MailTransport,
    private readonly config: AppConfig,
  ) {
    this.box = new SealedBox(config.jwtSecret);
  }

  get available(): boolean {
    return this.config.smtpUrl !== undefined || !this.config.isProduction;
  }

  onModuleInit(): void {
    if (!this.available) {
      this.logger.warn('recovery mail is off: NODE_ENV=production and no SMTP_URL; password reset, email verification and email change answer 503');
      return;
    }
    if (this.config.smtpUrl === undefined) this.logger.log('no SMTP_URL: mail is written to the log, one line per mail, with its link');
    this.outbox.consume({
      topic: MAIL_TOPIC,
      handle: (event) => this.deliver(event.id, event.payload),
      failedPayload: (payload) => this.settled(payload),
      classify: classifyMailFailure,
    });
  }

  /** 503 `mail-unavailable` when this deployment sends no mail. */
  assertAvailable(): void {
    if (!this.available) {
      throw new ProblemException(503, 'mail-unavailable', 'This service is not configured to send mail; recovery by mail is unavailable', undefined, {
        'Retry-After': '3600',
      });
    }
  }

  /** Writes the mail in `manager`'s transaction; false (nothing written) when mail is off. Call committed() after the commit. */
  async enqueue(manager: EntityManager, message: MailMessage): Promise<boolean> {
    if (!this.available) return false;
    const bodies: MailBodies = { text: message.text, html: message.html, link: message.link };
    const payload: MailPayload = { to: message.to, subject: message.subject, sealed: this.box.seal(JSON.stringify(bodies)) };
    await this.outbox.enqueue(manager, MAIL_TOPIC, { ...payload });
    return true;
  }

  committed(count: number): void {
    this.outbox.committed(MAIL_TOPIC, count);
  }

  private async deliver(eventId: string, payload: Record<string, unknown>): Promise<ConsumedEvent> {
    if (!isMailPayload(payload)) throw new UnreadableMail('not a mail payload');
    let bodies: MailBodies;
    try {
      bodies = JSON.parse(this.box.open(payload.sealed)) as MailBodies;
    } catch {
      throw new UnreadableMail('the mail body cannot be opened (sealed under another JWT_SECRET?)');
    }
    await this.transport.send({ to: payload.to, subject: payload.subject, ...bodies, messageId: `<${eventId}@taskwright.outbox>` });
    return { settledPayload: this.settled(payload) };
  }

  /** What stays once a mail is settled: never its bodies, which hold a token. */
  private settled(payload: Record<string, unknown>): Record<string, unknown> {
    return { to: payload.to, subject: payload.subject };
  }
}
