// Runs in headless Chromium, bundled from the official SDK's browser build
// (`@cloudbase/js-sdk` dist/index.esm.js). The page is served from another loopback
// origin than the emulator's, so every call is cross-origin (CORS).
import cloudbase from '@cloudbase/js-sdk';

async function run() {
  const params = new URLSearchParams(location.search);
  const app = cloudbase.init({ env: params.get('env'), region: 'ap-shanghai', timeout: 10000 });
  app.registerHost(params.get('host'), 'http');
  const auth = app.auth({ persistence: 'none' });
  const signedIn = await auth.signInAnonymously();
  if (signedIn.error) throw new Error(`signInAnonymously: ${JSON.stringify(signedIn.error)}`);
  const steps = ['signInAnonymously'];

  // A Blob upload: the browser build sends a multipart form (storage.md §3).
  const bucket = app.storage.from('bucket-a');
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const up = await bucket.upload('browser/dot.png', new Blob([png], { type: 'image/png' }), { contentType: 'image/png' });
  if (up.error) throw new Error(`upload: ${JSON.stringify(up.error)}`);
  steps.push('upload(Blob)');
  const down = await bucket.download('browser/dot.png');
  if (down.error) throw new Error(`download: ${JSON.stringify(down.error)}`);
  const got = Array.from(new Uint8Array(await down.data.arrayBuffer()));
  if (JSON.stringify(got) !== JSON.stringify(Array.from(png))) {
    throw new Error(`the download is not the file (${got.length} bytes): the form was stored`);
  }
  steps.push('download');
  const info = await bucket.info('browser/dot.png');
  if (info.error) throw new Error(`info: ${JSON.stringify(info.error)}`);
  steps.push('info');
  const echo = await app.callFunction({ name: 'echo', data: { from: 'browser' } });
  if (!echo.result || echo.result.from !== 'browser') throw new Error(`callFunction: ${JSON.stringify(echo)}`);
  steps.push('callFunction');
  return { ok: true, steps, size: got.length, info: info.data };
}

run()
  .then((r) => { window.__result = r; })
  .catch((e) => { window.__result = { ok: false, error: String((e && e.stack) || e) }; });
