#!/usr/bin/env node
// Runs the built bin. This file exists before the first build, so that `pnpm install` can link
// the bin in a fresh checkout instead of warning that dist/bin.js is missing.
import "../dist/bin.js"
