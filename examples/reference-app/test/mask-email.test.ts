import { maskEmail } from '../src/mask-email.js';

describe('maskEmail', () => {
  it.each([
    // the shape 000 shows
    ['john@example.com', 'j***n@e***.com'],
    // long local parts and domains: the star count never tells the length
    ['alexander.hamilton+newsletter@verylongdomainname.org', 'a***r@v***.org'],
    // short local parts: never the whole of it
    ['ab@example.com', 'a***@e***.com'],
    ['a@example.com', '***@e***.com'],
    // sub-domains vanish; only the first letter of the first label and the top-level label stay
    ['jane@mail.eu.example.co.uk', 'j***e@m***.uk'],
    ['ops@x.io', 'o***s@***.io'],
    ['root@localhost', 'r***t@l***'],
    // unicode: whole code points and grapheme clusters, never half a surrogate pair or a lone combining mark
    ['жанна@пример.рф', 'ж***а@п***.рф'],
    ['😀dev🚀@例え.jp', '😀***🚀@例***.jp'],
    ['e\u0301mile\u0301@exa\u0301mple.fr', 'e\u0301***e\u0301@e***.fr'],
    ['👨‍👩‍👧@family.com', '***@f***.com'],
    ['👨‍👩‍👧x@family.com', '👨‍👩‍👧***@f***.com'],
    // quoted local parts with @ inside: split at the last @
    ['"a@b"@example.com', '"***"@e***.com'],
  ])('masks %s as %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it.each(['', 'no-at-sign', '@example.com', 'john@'])('masks a non-address %p entirely', (value) => {
    expect(maskEmail(value)).toBe('***');
  });

  it('never contains a lone surrogate', () => {
    for (const email of ['😀😀😀@😀😀.😀', '𝒜𝒷𝒸@𝒹𝑒.𝒻']) {
      expect(/\p{Cs}/u.test(maskEmail(email))).toBe(false);
    }
  });
});
