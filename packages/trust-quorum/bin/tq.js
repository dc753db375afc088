#!/usr/bin/env node
// Entry point of the `tq` command. The sources are TypeScript run through tsx's loader,
// so there is no build step between `npm ci` and `npx tq`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
