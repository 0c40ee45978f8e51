import { RecoveryMail } from './recovery-mail';

describe('RecoveryMail', () => {
  const mails = new RecoveryMail('https://app.example.com');
  const ada = { email: 'ada@example.com', name: 'Ada <script>' };

  it('puts the one link in both bodies and names it for a developer reading the log', () => {
    const mail = mails.passwordReset(ada, 'tok_en-123', 1800);
    expect(mail.to).toBe('ada@example.com');
    expect(mail.link).toBe('https://app.example.com/reset-password?token=tok_en-123');
    expect(mail.text).toContain(mail.link);
    expect(mail.html).toContain(`href="${mail.link}"`);
    expect(mail.text).toContain('30 minutes');
  });

  it('escapes what a user typed in the HTML body', () => {
    const mail = mails.verifyEmail(ada, 't', 172800);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Ada &#60;script&#62;');
    expect(mail.text).toContain('48 hours');
  });

  it('sends the confirmation of an email change to the new address, the notice without a link to the old one', () => {
    expect(mails.confirmEmailChange(ada, 'new@example.com', 't', 60).to).toBe('new@example.com');
    expect(mails.confirmEmailChange(ada, 'new@example.com', 't', 60).text).toContain('1 minute.');
    const notice = mails.emailChangeRequested(ada, 'new@example.com');
    expect(notice.to).toBe('ada@example.com');
    expect(notice.link).toBeUndefined();
  });
});
