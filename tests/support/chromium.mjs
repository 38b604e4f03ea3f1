// Debian's Chromium for the browser tests (CHROMIUM_BIN overrides the path), and the flags it
// needs here. playwright's launch() adds a fresh --user-data-dir and deletes it on close.

import { accessSync, constants } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
accessSync(CHROMIUM, constants.X_OK);

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // On a closed network Chromium's own connections (updates, sync, field trials) fail loudly.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
