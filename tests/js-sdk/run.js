// Drives the official @cloudbase/js-sdk (3.7.0) against a running cloudbase-emulator.
// Usage: CLOUDBASE_EMULATOR_HOST=127.0.0.1:PORT CLOUDBASE_EMULATOR_ADMIN_TOKEN=… node run.js
// Exits non-zero on any failure. Later issues extend the steps with their areas.
'use strict';

const assert = require('node:assert/strict');
const cloudbase = require('@cloudbase/js-sdk');

const host = process.env.CLOUDBASE_EMULATOR_HOST;
// The emulator's admin routes (the outbox here) need the token it printed at start.
const adminToken = process.env.CLOUDBASE_EMULATOR_ADMIN_TOKEN || '';
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
  let unknownError;
  try {
    const r = await app.callFunction({ name: 'no-such-function', data: {} });
    unknownFailed = Boolean(r && r.code);
    unknownError = r;
  } catch (e) {
    unknownFailed = true;
    unknownError = e;
  }
  assert.ok(unknownFailed, `calling an unknown function must fail: ${JSON.stringify(unknownError)}`);
  console.log('callFunction(unknown) fails ok');

  await authFlows(auth);
  await customTicketFlow(auth);
  unwrap('signInAnonymously', await auth.signInAnonymously());
  await aiFlows(app);
  await modelFlows(app);
  await mysqlFlows(app);
  await rpcFlows(app);
  await computeFlows(app);
  await adminHooks(app);
  await storageFlows(app);
}

// app.ai() against the emulator's fake provider: the echo model, whole and
// streamed, and the echo-bot agent.
async function aiFlows(app) {
  const ai = app.ai();
  const model = ai.createModel('cloudbase');
  const whole = await model.generateText({ model: 'echo', messages: [{ role: 'user', content: 'hello from js' }] });
  assert.equal(whole.text, 'hello from js', `generateText: ${JSON.stringify(whole)}`);
  console.log('ai generateText ok');
  const streamed = await model.streamText({ model: 'echo', messages: [{ role: 'user', content: 'streamed 世界 reply' }] });
  let text = '';
  for await (const piece of streamed.textStream) text += piece;
  assert.equal(text, 'streamed 世界 reply');
  const usage = await streamed.usage;
  assert.equal(usage.completion_tokens, 3, `usage ${JSON.stringify(usage)}`);
  console.log('ai streamText ok');
  const reply = await ai.bot.sendMessage({ botId: 'echo-bot', msg: 'agent hi' });
  let said = '';
  for await (const piece of reply.textStream) said += piece;
  assert.equal(said, 'agent hi');
  const list = await ai.bot.list({ pageSize: 10, pageNumber: 1 });
  assert.ok(list.botList.some((b) => b.botId === 'echo-bot'), `bot.list ${JSON.stringify(list)}`);
  console.log('ai bot.sendMessage and bot.list ok');
}

// A ticket minted by the Rust SDK's backend half (`create_ticket`, RS256 with the
// emulator's custom-login key file) signs the official client in as that uid.
async function customTicketFlow(auth) {
  const ticket = process.env.CLOUDBASE_CUSTOM_TICKET;
  const uid = process.env.CLOUDBASE_CUSTOM_UID;
  assert.ok(ticket && uid, 'CLOUDBASE_CUSTOM_TICKET and CLOUDBASE_CUSTOM_UID are set');
  unwrap('signInWithCustomTicket', await auth.signInWithCustomTicket(() => Promise.resolve(ticket)));
  const claims = unwrap('getClaims', await auth.getClaims());
  const sub = claims.data && claims.data.claims && claims.data.claims.sub;
  assert.equal(sub, uid, `signed in as ${JSON.stringify(claims)}`);
  console.log('signInWithCustomTicket (ticket from the Rust SDK) ok');
}

// The admin hooks other languages need: a container proxied to a local server, and
// the clock moved (a token then expires).
async function adminHooks(app) {
  const admin = (path, body) => fetch(`http://${host}/__emulator/${path}`, {
    method: 'POST',
    headers: { 'x-emulator-admin-token': adminToken, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const server = require('http').createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ from: 'node', method: req.method, url: req.url }));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const res = await admin('containers/node-svc', { url: `http://127.0.0.1:${server.address().port}` });
  assert.equal(res.status, 204, `register container: ${res.status}`);
  const proxied = await app.callContainer({ name: 'node-svc', method: 'GET', path: '/hello', data: { x: '1' } });
  assert.equal(proxied.from, 'node', `proxied container: ${JSON.stringify(proxied)}`);
  assert.equal(proxied.url, '/hello?x=1');
  server.close();
  console.log('admin containers (proxy) ok');

  const moved = await (await admin('clock', { offset_secs: 3600 })).json();
  const back = await (await admin('clock', { offset_secs: 0 })).json();
  assert.equal(moved.offset_secs, 3600, `clock: ${JSON.stringify(moved)}`);
  assert.ok(moved.now >= back.now + 3599, `the clock moved: ${JSON.stringify([moved, back])}`);
  console.log('admin clock ok');
}

// Cloud run and HTTP APIs: the Rust side registers a container `svc` and an API
// `echo-api` that both answer `{ok, method, path, query, body}`.
async function computeFlows(app) {
  const posted = await app.callContainer({ name: 'svc', path: 'api/items', data: { a: 1 } });
  assert.equal(posted.ok, true, `callContainer: ${JSON.stringify(posted)}`);
  assert.equal(posted.method, 'POST', 'callContainer defaults to POST');
  assert.equal(posted.path, '/api/items');
  assert.deepEqual(posted.body, { a: 1 });
  console.log('callContainer(default POST) ok');

  const got = await app.callContainer({ name: 'svc', method: 'GET', path: '/api/items', data: { q: 'a b', n: 2 } });
  assert.equal(got.method, 'GET', `callContainer GET: ${JSON.stringify(got)}`);
  assert.deepEqual(got.query, { q: 'a b', n: '2' });
  assert.equal(got.body, null);
  console.log('callContainer(GET with data) ok');

  const deleted = await app.callContainer({ name: 'svc', method: 'DELETE', path: '/api/items/1' });
  assert.equal(deleted.method, 'DELETE', `callContainer DELETE: ${JSON.stringify(deleted)}`);
  assert.equal(deleted.path, '/api/items/1');
  console.log('callContainer(DELETE) ok');

  const viaFunction = await app.callFunction({ type: 'cloudrun', name: 'svc', method: 'GET', path: '/items/42', data: { q: 'x' } });
  assert.equal(viaFunction.result.path, '/items/42', `callFunction cloudrun: ${JSON.stringify(viaFunction)}`);
  assert.deepEqual(viaFunction.result.query, { q: 'x' });
  assert.ok(viaFunction.requestId, 'callFunction(cloudrun) returns a request id');
  console.log('callFunction(type cloudrun) ok');

  let unknown;
  try {
    unknown = await app.callContainer({ name: 'no-such-service', path: '/' });
  } catch (e) {
    unknown = e;
  }
  const shown = `${JSON.stringify(unknown)} ${unknown}`;
  assert.ok(shown.includes('SERVICE_NOT_FOUND'), `an unknown container must fail with SERVICE_NOT_FOUND: ${shown}`);
  // callContainer sends no request id; the emulator's envelope carries the one it made.
  assert.ok(/"requestId":"[0-9a-f]{8,}"/.test(shown), `the envelope has a request id: ${shown}`);
  console.log('callContainer(unknown) fails ok');

  const api = app.apis['echo-api'];
  const apiGet = await api.get({ path: '/items', body: { q: 'a b', n: 1 } });
  assert.equal(apiGet.method, 'GET', `apis.get: ${JSON.stringify(apiGet)}`);
  assert.deepEqual(apiGet.query, { q: 'a b', n: '1' });
  const apiRoot = await api.get({});
  assert.equal(apiRoot.path, '/', `apis.get without a path: ${JSON.stringify(apiRoot)}`);
  const apiPost = await api.post({ path: '/items', body: { title: 't' } });
  assert.deepEqual([apiPost.method, apiPost.body], ['POST', { title: 't' }], `apis.post: ${JSON.stringify(apiPost)}`);
  const apiPut = await api.put({ path: '/items/1', body: { title: 't2' } });
  assert.equal(apiPut.method, 'PUT', `apis.put: ${JSON.stringify(apiPut)}`);
  const apiDelete = await api.delete({ path: '/items/1' });
  assert.deepEqual([apiDelete.method, apiDelete.body], ['DELETE', {}], `apis.delete: ${JSON.stringify(apiDelete)}`);
  const apiPatch = await api.request({ method: 'PATCH', path: '/items/1', body: { done: true } });
  assert.deepEqual([apiPatch.method, apiPatch.body], ['PATCH', { done: true }], `apis.request: ${JSON.stringify(apiPatch)}`);
  console.log('apis get/post/put/delete/request ok');
}

// Classic storage (upload-info + signed PUT, temp URLs, download, copy, delete) and
// the bucket object API (`storage.from(bucket)`).
async function storageFlows(app) {
  const text = 'hello from the js sdk';
  const up = await app.uploadFile({ cloudPath: 'bucket-a/js/hello.txt', fileContent: Buffer.from(text) });
  assert.ok(up.fileID && up.fileID.startsWith('cloud://'), `uploadFile: ${JSON.stringify(up)}`);
  console.log('uploadFile ok');

  // getFileInfo: a temp URL, then HEAD; size and cache headers from the emulator.
  const infos = await app.getFileInfo({ fileList: [up.fileID] });
  const fileInfo = infos.fileList ? infos.fileList[0] : infos[0];
  assert.equal(fileInfo.size, text.length, `getFileInfo: ${JSON.stringify(infos)}`);
  assert.ok(fileInfo.etag && fileInfo.lastModified, `getFileInfo headers: ${JSON.stringify(infos)}`);
  console.log('getFileInfo ok');

  const urls = await app.getTempFileURL({ fileList: [up.fileID, up.fileID.replace('hello.txt', 'missing.txt')] });
  assert.equal(urls.fileList.length, 2, `getTempFileURL: ${JSON.stringify(urls)}`);
  assert.equal(urls.fileList[0].code, 'SUCCESS', `getTempFileURL: ${JSON.stringify(urls)}`);
  assert.notEqual(urls.fileList[1].code, 'SUCCESS', 'a missing file has an item error');
  const noBucket = await app.getTempFileURL({ fileList: [up.fileID.replace('bucket-a/', 'no-such-bucket/')] });
  assert.equal(noBucket.fileList[0].code, 'STORAGE_BUCKET_NOT_FOUND', `a missing bucket: ${JSON.stringify(noBucket)}`);
  const fetched = await fetch(urls.fileList[0].tempFileURL);
  assert.equal(await fetched.text(), text, 'the temp URL serves the file');
  console.log('getTempFileURL ok');

  const down = await app.downloadFile({ fileID: up.fileID });
  assert.equal(Buffer.from(down.fileContent).toString(), text, `downloadFile: ${JSON.stringify(down)}`);
  console.log('downloadFile ok');

  const copied = await app.copyFile({ fileList: [{ srcPath: 'bucket-a/js/hello.txt', dstPath: 'bucket-a/js/copy.txt', overwrite: true, removeOriginal: false }] });
  assert.equal(copied.fileList[0].code, 'SUCCESS', `copyFile: ${JSON.stringify(copied)}`);
  const copyId = copied.fileList[0].fileID;
  assert.ok(copyId && copyId.endsWith('/js/copy.txt'), `copyFile: ${JSON.stringify(copied)}`);
  const copyDown = await app.downloadFile({ fileID: copyId });
  assert.equal(Buffer.from(copyDown.fileContent).toString(), text, 'the copy has the same bytes');
  console.log('copyFile ok');

  const removed = await app.deleteFile({ fileList: [up.fileID, copyId] });
  assert.deepEqual(removed.fileList.map((f) => f.code), ['SUCCESS', 'SUCCESS'], `deleteFile: ${JSON.stringify(removed)}`);
  const gone = await app.getTempFileURL({ fileList: [up.fileID] });
  assert.notEqual(gone.fileList[0].code, 'SUCCESS', `after deleteFile: ${JSON.stringify(gone)}`);
  console.log('deleteFile ok');

  const bucket = app.storage.from('bucket-a');
  const name = 'dir/hello world.txt';
  unwrap('from(bucket).upload', await bucket.upload(name, Buffer.from('hello'), { contentType: 'text/plain' }));
  const blob = unwrap('from(bucket).download', await bucket.download(name));
  assert.equal(await blob.data.text(), 'hello', `from(bucket).download: ${JSON.stringify(blob)}`);
  const signed = unwrap('from(bucket).createSignedUrls', await bucket.createSignedUrls([name, 'dir/none.txt'], 60));
  assert.equal(signed.data.length, 2, `createSignedUrls: ${JSON.stringify(signed)}`);
  const okUrl = signed.data[0].fullSignedURL;
  assert.equal(await (await fetch(okUrl)).text(), 'hello', `createSignedUrls fetch: ${JSON.stringify(signed)}`);
  assert.ok(signed.data[1].error, `a missing name has an error: ${JSON.stringify(signed)}`);
  console.log('from(bucket).createSignedUrls ok');
  unwrap('from(bucket).remove', await bucket.remove([name]));
  const after = await bucket.download(name);
  assert.ok(after.error, 'a removed object cannot be downloaded');
  console.log('from(bucket) upload/download/remove ok');

  // A Blob goes as a multipart form (cacheControl, contentType, then the file): the
  // emulator must store the file part, with its content type.
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  unwrap('from(bucket).upload(Blob)', await bucket.upload('pics/dot.png', new Blob([png], { type: 'image/png' }), { contentType: 'image/png' }));
  const pic = unwrap('from(bucket).download(Blob)', await bucket.download('pics/dot.png'));
  const got = new Uint8Array(await pic.data.arrayBuffer());
  assert.deepEqual(Array.from(got), Array.from(png), `a Blob upload stores the file, not the form: ${got.length} bytes`);
  const info = unwrap('from(bucket).info', await bucket.info('pics/dot.png'));
  assert.equal(info.data.contentType || info.data.content_type, 'image/png', `info: ${JSON.stringify(info)}`);
  console.log('from(bucket) Blob (multipart) upload ok');

  // Names with a space, `%`, CJK and emoji: the SDK applies encodeURI to the download
  // URL, so the emulator answers it unencoded. (`#` and `?` cannot survive encodeURI:
  // the official SDK cannot download such names from any server; README "differs".)
  for (const name of ['js/hello world.txt', 'js/100%.txt', 'js/中文.txt', 'js/emoji 🦀.txt']) {
    const content = `content of ${name}`;
    const put = await app.uploadFile({ cloudPath: `bucket-a/${name}`, fileContent: Buffer.from(content) });
    assert.ok(put.fileID, `uploadFile ${name}: ${JSON.stringify(put)}`);
    const got = await app.downloadFile({ fileID: put.fileID });
    assert.equal(Buffer.from(got.fileContent).toString(), content, `downloadFile ${name}`);
    const temp = await app.getTempFileURL({ fileList: [put.fileID] });
    const res = await fetch(encodeURI(temp.fileList[0].tempFileURL));
    assert.equal(await res.text(), content, `temp URL of ${name}: ${temp.fileList[0].tempFileURL}`);
  }
  console.log('storage names with space, %, CJK and emoji ok');

  // The POST upload flow: upload info without signedHeader, then a form; 201.
  const posted = await app.uploadFile({ cloudPath: 'bucket-a/js/posted.txt', fileContent: Buffer.from('posted'), method: 'post' });
  assert.ok(posted.fileID, `uploadFile(post): ${JSON.stringify(posted)}`);
  const back = await app.downloadFile({ fileID: posted.fileID });
  assert.equal(Buffer.from(back.fileContent).toString(), 'posted', `download of the POST upload: ${JSON.stringify(back)}`);
  console.log('uploadFile(method: post) ok');
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

// PostgreSQL functions through app.rdb().rpc (a function the Rust side registered).
async function rpcFlows(app) {
  const sum = unwrap('rdb.rpc', await app.rdb().rpc('add', { a: 2, b: 40 }));
  assert.equal(sum.data, 42, `rpc: ${JSON.stringify(sum)}`);
  console.log('rdb.rpc ok');
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
  const res = await fetch(`http://${host}/__emulator/outbox`, {
    headers: { 'x-emulator-admin-token': adminToken },
  });
  assert.equal(res.status, 200, `outbox: ${res.status}`);
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
  // The SDK reads `hasPassword` (or `password === 'SET'`), never `has_password`.
  assert.equal(user.data.user.user_metadata.hasPassword, true, `hasPassword: ${JSON.stringify(user)}`);
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
