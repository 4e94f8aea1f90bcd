// `express4` is Express 4 installed under an alias for the smoke tests. Its API is the subset of Express 5's
// that those tests use, so it borrows Express 5's types rather than pulling in a second @types/express.
declare module 'express4' {
  // @types/express declares `export =`; `import = require` is the only form that re-exports it faithfully.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  import express = require('express');
  export = express;
}
