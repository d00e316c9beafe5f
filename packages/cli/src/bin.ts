#!/usr/bin/env node
/** The `dpledger` executable: see main.ts (dispatch, and the one error mapper in error-line.ts). */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
