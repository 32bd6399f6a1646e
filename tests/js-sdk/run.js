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

  await authFlows(auth);
  unwrap('signInAnonymously', await auth.signInAnonymously());
  await modelFlows(app);
  await mysqlFlows(app);
}

// Data models: create, list with a filter and a count, update, delete (the model
// `todo` is created by the Rust side of the test).
async function modelFlows(app) {
  const todo = app.models.todo;
  const created = await todo.create({ data: { title: 'js-milk', done: false } });
  const id = created.data.id;
  assert.ok(id, `create: ${JSON.stringify(created)}`);
  await todo.create({ data: { title: 'js-bread', done: true } });
  console.log('models.create ok');

  const open = await todo.list({ filter: { where: { done: { $eq: false } } }, getCount: true, pageSize: 10, pageNumber: 1 });
  assert.equal(open.data.total, 1, `list: ${JSON.stringify(open)}`);
  assert.equal(open.data.records[0].title, 'js-milk');
  console.log('models.list ok');

  const updated = await todo.update({ data: { done: true }, filter: { where: { _id: { $eq: id } } } });
  assert.equal(updated.data.count, 1, `update: ${JSON.stringify(updated)}`);
  const one = await todo.get({ filter: { where: { _id: { $eq: id } } } });
  assert.equal(one.data.done, true, `get: ${JSON.stringify(one)}`);
  console.log('models.update ok');

  const deleted = await todo.delete({ filter: { where: { _id: { $eq: id } } } });
  assert.equal(deleted.data.count, 1, `delete: ${JSON.stringify(deleted)}`);
  const left = await todo.list({ getCount: true, pageSize: 10, pageNumber: 1 });
  assert.equal(left.data.total, 1, `after delete: ${JSON.stringify(left)}`);
  console.log('models.delete ok');
}

// MySQL REST through app.mysql(): insert, select with filters, count, update,
// delete (the table `course` is created by the Rust side of the test).
async function mysqlFlows(app) {
  const db = app.mysql();
  unwrap('mysql.insert', await db.from('course').insert([{ id: 1, name: 'math, (x)', grade: 3 }, { id: 2, name: 'art', grade: 1 }]));
  console.log('mysql.insert ok');

  const sel = unwrap('mysql.select', await db.from('course').select('id,name').eq('name', 'math, (x)'));
  assert.deepEqual(sel.data, [{ id: 1, name: 'math, (x)' }], `select: ${JSON.stringify(sel)}`);
  const inList = unwrap('mysql.select in', await db.from('course').select('id').in('id', [1, 2]).order('id', { ascending: false }));
  assert.deepEqual(inList.data, [{ id: 2 }, { id: 1 }], `in: ${JSON.stringify(inList)}`);
  console.log('mysql.select ok');

  const counted = unwrap('mysql.count', await db.from('course').select('*', { count: 'exact', head: true }));
  assert.equal(counted.count, 2, `count: ${JSON.stringify(counted)}`);
  console.log('mysql.count ok');

  unwrap('mysql.update', await db.from('course').update({ grade: 5 }).eq('id', 2));
  const after = unwrap('mysql.select after update', await db.from('course').select('grade').eq('id', 2));
  assert.deepEqual(after.data, [{ grade: 5 }], `update: ${JSON.stringify(after)}`);
  console.log('mysql.update ok');

  unwrap('mysql.delete', await db.from('course').delete().eq('id', 2));
  const left = unwrap('mysql.count after delete', await db.from('course').select('*', { count: 'exact', head: true }));
  assert.equal(left.count, 1, `delete: ${JSON.stringify(left)}`);
  console.log('mysql.delete ok');
}

// The latest code the emulator "sent" to `to`, read from its test hook.
async function lastCode(to) {
  const res = await fetch(`http://${host}/__emulator/outbox`);
  const list = await res.json();
  const found = list.filter((m) => m.to === to).pop();
  assert.ok(found, `no code sent to ${to}: ${JSON.stringify(list)}`);
  return found.code;
}

// Password, OTP sign-up and sign-in (codes from the outbox), refresh, user get and
// update, sign-out: every auth flow the official SDK can drive in Node.
async function authFlows(auth) {
  const email = 'js-user@example.com';
  const signUp = unwrap('signUp', await auth.signUp({ email, password: 'Js-Passw0rd', username: 'js_user' }));
  unwrap('signUp.verifyOtp', await signUp.data.verifyOtp({ email, token: await lastCode(email) }));
  console.log('signUp (email OTP from the outbox) ok');

  const user = unwrap('getUser', await auth.getUser());
  assert.equal(user.data.user.email, email, `getUser: ${JSON.stringify(user)}`);
  console.log('getUser ok');

  unwrap('updateUser', await auth.updateUser({ nickname: 'JS User' }));
  const updated = unwrap('getUser', await auth.getUser());
  assert.equal(JSON.stringify(updated).includes('JS User'), true, `updateUser: ${JSON.stringify(updated)}`);
  console.log('updateUser ok');

  const refreshed = unwrap('refreshSession', await auth.refreshSession());
  assert.ok(refreshed.data.session.access_token, `refreshSession: ${JSON.stringify(refreshed)}`);
  console.log('refreshSession ok');

  unwrap('signOut', await auth.signOut());
  console.log('signOut ok');

  unwrap('signInWithPassword', await auth.signInWithPassword({ username: 'js_user', password: 'Js-Passw0rd' }));
  const session = unwrap('getSession', await auth.getSession());
  assert.ok(session.data.session.access_token, 'signed in with the password');
  console.log('signInWithPassword ok');
  unwrap('signOut', await auth.signOut());

  const otp = unwrap('signInWithOtp', await auth.signInWithOtp({ email }));
  unwrap('verifyOtp', await otp.data.verifyOtp({ email, token: await lastCode(email) }));
  const again = unwrap('getUser', await auth.getUser());
  assert.equal(again.data.user.email, email);
  console.log('signInWithOtp + verifyOtp ok');
  unwrap('signOut', await auth.signOut());
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
