// Drives the official @cloudbase/js-sdk (3.7.0) against a running cloudbase-emulator.
// Usage: CLOUDBASE_EMULATOR_HOST=127.0.0.1:PORT node run.js
// Exits non-zero on any failure. Later issues extend the steps with their areas.
'use strict';

const assert = require('node:assert/strict');
const cloudbase = require('@cloudbase/js-sdk');

const host = process.env.CLOUDBASE_EMULATOR_HOST;
const env = process.env.CLOUDBASE_ENV_ID || 'demo-env';
if (!host) {
  console.error('CLOUDBASE_EMULATOR_HOST is not set');
  process.exit(2);
}

// The SDK reports failures both ways: thrown errors and `{ error }` results.
function unwrap(label, result) {
  if (result && result.error) {
    throw new Error(`${label}: ${JSON.stringify(result.error)}`);
  }
  return result;
}

async function main() {
  const app = cloudbase.init({ env, region: 'ap-shanghai', timeout: 10000 });
  app.registerHost(host, 'http');
  const auth = app.auth({ persistence: 'none' });

  const signIn = unwrap('signInAnonymously', await auth.signInAnonymously());
  console.log('signInAnonymously ok');
  const session = unwrap('getSession', await auth.getSession());
  const token = session.data && session.data.session && session.data.session.access_token;
  assert.ok(token, `no access token in session: ${JSON.stringify(session)}`);
  void signIn;

  const data = { a: 1, s: 'x y', nested: { k: [1, 2] } };
  const res = await app.callFunction({ name: 'echo', data });
  assert.deepEqual(res.result, data, `echo returned ${JSON.stringify(res)}`);
  assert.ok(res.requestId, 'callFunction returns a request id');
  console.log('callFunction(echo) ok');

  let unknownFailed = false;
  try {
    const r = await app.callFunction({ name: 'no-such-function', data: {} });
    unknownFailed = Boolean(r && r.code);
  } catch (e) {
    unknownFailed = true;
  }
  assert.ok(unknownFailed, 'calling an unknown function must fail');
  console.log('callFunction(unknown) fails ok');
}

main().then(
  () => {
    console.log('js-sdk check passed');
    process.exit(0);
  },
  (err) => {
    console.error('js-sdk check FAILED:', err && err.stack ? err.stack : err);
    process.exit(1);
  },
);
