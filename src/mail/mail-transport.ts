import { Logger } from '@nestjs/common';
import { createTransport } from 'nodemailer';

/** A mail ready to leave: bodies rendered, links built. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The one link a developer follows when the mail is only logged. */
  link?: string;
}

export interface OutgoingMail extends MailMessage {
  /** Stable per outbox event, so a receiver can recognise a repeated delivery. */
  messageId: string;
}

/** Where mail goes: SMTP, or the log when no SMTP server is configured. */
export abstract class MailTransport {
  abstract send(mail: OutgoingMail): Promise<void>;
}

/**
 * nodemailer over SMTP_URL, one connection per mail (a pool would hold a dead connection across
 * an outage). Every step has a deadline (SMTP_TIMEOUT_MS): a server that stops answering fails the
 * attempt, and the outbox retries it later.
 */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter;

  constructor(private readonly config: { smtpUrl: string; mailFrom: string; smtpTimeoutMs: number }) {
    super();
    this.transporter = createTransport({
      url: config.smtpUrl,
      connectionTimeout: config.smtpTimeoutMs,
      greetingTimeout: config.smtpTimeoutMs,
      socketTimeout: config.smtpTimeoutMs,
      dnsTimeout: config.smtpTimeoutMs,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transporter.sendMail({
      from: this.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
    });
  }
}

/**
 * Development without an SMTP server: each mail is one structured log line naming its recipient,
 * its subject and its link, so a developer can click through the flow.
 */
export class LogMailTransport extends MailTransport {
  private readonly logger = new Logger('Mail');

  send(mail: OutgoingMail): Promise<void> {
    this.logger.log({ mail: { to: mail.to, subject: mail.subject, link: mail.link ?? null, messageId: mail.messageId } }, 'mail (not sent: no SMTP_URL)');
    return Promise.resolve();
  }
}
