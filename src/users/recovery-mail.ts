import type { MailMessage } from '../mail/mail-transport';

/** The account a mail is about: where it goes and how to greet. */
interface Recipient {
  email: string;
  name: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function minutes(seconds: number): string {
  const total = Math.round(seconds / 60);
  if (total >= 120) return `${Math.round(total / 60)} hours`;
  return total === 1 ? '1 minute' : `${total} minutes`;
}

/** Short plain-text and HTML bodies built from the same lines; a link is a line of its own. */
function compose(to: string, subject: string, greeting: string, lines: string[], link?: { url: string; label: string }): MailMessage {
  const text = [greeting, '', ...lines, ...(link ? ['', `${link.label}: ${link.url}`] : []), '', '— Taskwright'].join('\n');
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`] : []),
    '<p>— Taskwright</p>',
  ].join('\n');
  return { to, subject, text, html, ...(link ? { link: link.url } : {}) };
}

/**
 * The recovery mails. Links open the client app's pages (PUBLIC_APP_URL), which post the token
 * back to the API; the token is in the query string because a mail link can carry nothing else.
 */
export class RecoveryMail {
  constructor(private readonly publicAppUrl: string) {}

  private link(page: string, token: string): string {
    return `${this.publicAppUrl}/${page}?token=${encodeURIComponent(token)}`;
  }

  passwordReset(to: Recipient, token: string, ttlSeconds: number): MailMessage {
    return compose(
      to.email,
      'Reset your Taskwright password',
      `Hello ${to.name},`,
      [
        `Someone asked to reset the password of this account. The link works once, for ${minutes(ttlSeconds)}.`,
        'If it was not you, ignore this mail: your password stays as it is.',
      ],
      { url: this.link('reset-password', token), label: 'Choose a new password' },
    );
  }

  passwordChanged(to: Recipient): MailMessage {
    return compose(to.email, 'Your Taskwright password was changed', `Hello ${to.name},`, [
      'The password of this account was just reset, and every session was logged out.',
      'If it was not you, reset it again at once and tell us.',
    ]);
  }

  verifyEmail(to: Recipient, token: string, ttlSeconds: number): MailMessage {
    return compose(
      to.email,
      'Confirm your email address for Taskwright',
      `Hello ${to.name},`,
      [`Confirm that this address is yours. The link works once, for ${minutes(ttlSeconds)}.`],
      { url: this.link('verify-email', token), label: 'Confirm this address' },
    );
  }

  confirmEmailChange(to: Recipient, newEmail: string, token: string, ttlSeconds: number): MailMessage {
    return compose(
      newEmail,
      'Confirm your new email address for Taskwright',
      `Hello ${to.name},`,
      [
        `Confirm that your Taskwright account should use this address from now on. The link works once, for ${minutes(ttlSeconds)}.`,
        'If you did not ask for it, ignore this mail: nothing changes.',
      ],
      { url: this.link('confirm-email', token), label: 'Use this address' },
    );
  }

  emailChangeRequested(to: Recipient, newEmail: string): MailMessage {
    return compose(to.email, 'Your Taskwright email address is about to change', `Hello ${to.name},`, [
      `Someone logged in to this account asked to change its email address to ${newEmail}. It changes only when that address confirms.`,
      'If it was not you, change your password now: that also logs out every other session.',
    ]);
  }

  /** To an address that already has an account: nothing changed, and nothing is revealed to the requester. */
  emailAlreadyInUse(newEmail: string): MailMessage {
    return compose(newEmail, 'Someone tried to use this address on Taskwright', 'Hello,', [
      'Someone asked to move another Taskwright account to this address. This address already has an account, so nothing changed.',
      'If you forgot your password, use "Forgot password" in the app.',
    ]);
  }
}
