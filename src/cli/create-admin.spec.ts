import { parseCreateAdminArguments, UsageError } from './create-admin';

describe('parseCreateAdminArguments', () => {
  it('reads --email, --password and --name', () => {
    expect(parseCreateAdminArguments(['--email', ' root@example.com ', '--password', 'a long password', '--name', 'Root'])).toEqual({
      email: 'root@example.com',
      password: 'a long password',
      name: 'Root',
    });
  });

  it('takes the password from stdin when --password is absent, and defaults the name', () => {
    expect(parseCreateAdminArguments(['--email=root@example.com'], 'piped password')).toEqual({
      email: 'root@example.com',
      password: 'piped password',
      name: 'Administrator',
    });
  });

  it('applies the registration rules and names every problem', () => {
    expect(() => parseCreateAdminArguments(['--email', 'nope', '--password', 'short', '--name', ''])).toThrow(
      /--email must be an email.*password must be 10 to 128.*--name must be 1 to 100/,
    );
  });

  it('refuses unknown options', () => {
    expect(() => parseCreateAdminArguments(['--email', 'root@example.com', '--password', 'a long password', '--role', 'admin'])).toThrow(UsageError);
  });
});
