// Lint rules (npm run lint): a small set that catches mistakes, not layout (Prettier owns layout)
// and not layers (dependency-cruiser checks those, .dependency-cruiser.cjs). Non-type-aware, so it
// stays fast; `tsc` does the type checking.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.next/', 'runs/', 'data/', 'scratch/', 'next-env.d.ts'] },
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-debugger': 'error',
      'no-var': 'error',
      eqeqeq: ['error', 'smart'],
      'no-dupe-keys': 'error',
      'no-duplicate-case': 'error',
      'no-self-compare': 'error',
      'no-unreachable': 'error',
      'no-unsafe-finally': 'error',
      'no-sparse-arrays': 'error',
      'no-cond-assign': ['error', 'except-parens'],
      'no-compare-neg-zero': 'error',
      'use-isnan': 'error',
      'valid-typeof': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-duplicate-enum-values': 'error',
      '@typescript-eslint/prefer-as-const': 'error',
      // The @tensorflow/tfjs bundle drags in layers, converter and data, which nothing here uses.
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@tensorflow/tfjs', message: 'import @tensorflow/tfjs-core (and a backend package) instead of the @tensorflow/tfjs bundle' }],
          patterns: [{ regex: '^@tensorflow/tfjs/', message: 'import from @tensorflow/tfjs-core instead of the @tensorflow/tfjs bundle' }],
        },
      ],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
);
