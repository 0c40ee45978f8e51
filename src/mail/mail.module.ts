import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { OutboxModule } from '../outbox/outbox.module';
import { LogMailTransport, MailTransport, SmtpMailTransport } from './mail-transport';
import { MailService } from './mail.service';

@Module({
  imports: [OutboxModule],
  providers: [
    MailService,
    {
      provide: MailTransport,
      inject: [AppConfig],
      useFactory: (config: AppConfig): MailTransport =>
        config.smtpUrl === undefined
          ? new LogMailTransport()
          : new SmtpMailTransport({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, smtpTimeoutMs: config.smtpTimeoutMs }),
    },
  ],
  exports: [MailService],
})
export class MailModule {}
