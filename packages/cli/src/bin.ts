#!/usr/bin/env node
// Checked before anything else loads: on an older Node the dependencies fail with errors that
// do not say why.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `gemini-lanes needs Node.js 22.19 or newer (this is ${process.versions.node}); run it through 'make' or put .tools/node_modules/.bin first on PATH (scripts/setup.sh installs Node 24 there)\n`,
  );
  process.exit(1);
}

const { main } = await import('./main.js');
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
});
// exitCode, not exit(): let pending output flush and servers close on their own.
process.exitCode = code;
