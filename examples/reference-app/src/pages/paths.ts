/** The server-rendered pages: each embeds a CSRF token and is rate-limited as a page (features/key-exchange.ts). */
export const pagePaths = ['/', '/signup', '/signin', '/verify-email', '/reset-password', '/account'];
