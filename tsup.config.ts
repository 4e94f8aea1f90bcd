import { defineConfig } from 'tsup';

// Shared by every package: `tsup --config ../../tsup.config.ts` from the package folder. A package with subpath
// entries passes them with `--entry`. Dependencies stay external; output is CJS (.js) and ESM (.mjs) with types.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
});
