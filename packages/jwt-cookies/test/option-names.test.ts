import { randomBytes } from 'node:crypto';
import { jwtCookies } from '../src/index.js';

const pkg = '@shieldwall/jwt-cookies';
const keys = [{ id: 'k1', key: randomBytes(32) }];

describe('jwtCookies: option names are checked at start-up', () => {
  it('refuses a misspelt name with the nearest valid one', () => {
    expect(() => jwtCookies({ keys, accessTtl: 60 } as never)).toThrow(
      `${pkg}: jwtCookies() has no option \`accessTtl\`; did you mean \`accessTtlSeconds\`?`,
    );
    expect(() => jwtCookies({ keys, samesite: 'strict' } as never)).toThrow(/did you mean `sameSite`\?/);
  });

  it('answers jsonwebtoken’s and express-jwt’s names with ours', () => {
    expect(() => jwtCookies({ secret: 'x' } as never)).toThrow(
      `${pkg}: jwtCookies() has no option \`secret\`; did you mean \`keys\`?`,
    );
    expect(() => jwtCookies({ keys, expiresIn: '20m' } as never)).toThrow(
      /did you mean `accessTtlSeconds`\?/,
    );
  });

  it('checks the names inside cookieNames', () => {
    expect(() => jwtCookies({ keys, cookieNames: { acess: 'a' } as never })).toThrow(
      `${pkg}: jwtCookies({ cookieNames }) has no option \`acess\`; did you mean \`access\`?`,
    );
  });

  it('still asks for keys when given nothing', () => {
    expect(() => jwtCookies(undefined as never)).toThrow(/option `keys` is required/);
  });
});
