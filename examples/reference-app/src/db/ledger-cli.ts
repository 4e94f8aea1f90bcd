import { withDatabase, fail } from './cli.js';
import { sqlLedger, ledgerKinds, type LedgerKind } from './ledger.js';
import { sqlUsers } from './users.js';

// `pnpm ledger record <email> <amount> [kind]`: records a transaction (amount in the smallest currency unit), as a
// payment system would; `pnpm ledger volume <email>`: the 30-day volume the activities' thresholds compare.
const [command, email, amountText, kind = 'trade'] = process.argv.slice(2);
const usage =
  'usage: ledger record <email> <amount> [deposit|withdrawal|trade|transfer] | ledger volume <email>';

withDatabase(async (database) => {
  if (!email || (command !== 'record' && command !== 'volume')) fail(usage);
  const user = await sqlUsers(database.db).findByEmail(email);
  if (!user) fail(`no user with that e-mail`);
  const ledger = sqlLedger(database.db);
  if (command === 'record') {
    const amount = Number(amountText);
    if (!Number.isSafeInteger(amount) || amount <= 0)
      fail(`amount must be a positive whole number\n${usage}`);
    if (!(ledgerKinds as readonly string[]).includes(kind)) fail(usage);
    await ledger.record({ userId: user.id, amount, kind: kind as LedgerKind, at: Date.now() });
  }
  console.log(JSON.stringify({ user: user.id, volume30d: await ledger.volume30d(user.id, Date.now()) }));
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
