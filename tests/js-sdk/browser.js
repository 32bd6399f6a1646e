// Drives the official SDK's *browser* build in headless Chromium against a running
// cloudbase-emulator: bundles browser/entry.js with esbuild, serves it from a loopback
// origin of its own, and reads the page's result.
// Usage: CLOUDBASE_EMULATOR_HOST=127.0.0.1:PORT CHROMIUM=/usr/bin/chromium node browser.js
'use strict';

const http = require('node:http');
const path = require('node:path');
const esbuild = require('esbuild');
const { chromium } = require('playwright-core');

const host = process.env.CLOUDBASE_EMULATOR_HOST;
const env = process.env.CLOUDBASE_ENV_ID || 'demo-env';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

async function main() {
  const bundle = await esbuild.build({
    entryPoints: [path.join(__dirname, 'browser', 'entry.js')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
  });
  const js = bundle.outputFiles[0].text;
  const page = '<!doctype html><meta charset="utf-8"><title>js-sdk browser check</title><script src="/page.js"></script>';
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/page.js')) {
      res.setHeader('content-type', 'text/javascript; charset=utf-8');
      res.end(js);
    } else {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage();
    const logs = [];
    tab.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    await tab.goto(`${origin}/?host=${encodeURIComponent(host)}&env=${encodeURIComponent(env)}`);
    await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 60000 });
    const result = await tab.evaluate(() => window.__result);
    if (!result.ok) {
      throw new Error(`${result.error}\nconsole:\n${logs.join('\n')}`);
    }
    console.log(`browser steps: ${result.steps.join(', ')}`);
    console.log('js-sdk browser check passed');
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(`js-sdk browser check FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
