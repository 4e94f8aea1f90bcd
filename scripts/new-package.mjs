#!/usr/bin/env node
// Creates packages/<name>/package.json in the shape every @shieldwall package shares: source exports inside the
// workspace, dist exports (types first) when packed. Usage: node scripts/new-package.mjs <name> "<description>"
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>"');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(join(dir, 'package.json'))) {
  console.error(`${dir}/package.json exists`);
  process.exit(1);
}
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const pkg = {
  name: `@shieldwall/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  keywords: ['express', 'middleware', 'security'],
  sideEffects: false,
  exports: { '.': './src/index.ts', './package.json': './package.json' },
  main: './src/index.ts',
  types: './src/index.ts',
  files: ['dist', 'README.md'],
  publishConfig: {
    access: 'public',
    main: './dist/index.js',
    module: './dist/index.mjs',
    types: './dist/index.d.ts',
    exports: {
      '.': {
        import: { types: './dist/index.d.mts', default: './dist/index.mjs' },
        require: { types: './dist/index.d.ts', default: './dist/index.js' },
      },
      './package.json': './package.json',
    },
  },
  scripts: { build: 'tsup --config ../../tsup.config.ts', prepack: 'node ../../scripts/build-if-stale.mjs' },
  engines: { node: '>=20.19' },
  peerDependencies: { express: '>=4.21' },
  peerDependenciesMeta: { express: { optional: false } },
  dependencies: name === 'core' ? {} : { '@shieldwall/core': 'workspace:^' },
};
writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
console.log(`created ${dir}`);
