// Type-checked ESLint (STYLE.md 11); Prettier owns formatting.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    // bench/peers/*: the bench's peer packages, each with its own dependencies (NestJS 11,
    // nats v2) that this type-aware config cannot resolve; their entries are plain CommonJS
    // (like the other .js/.mjs scripts, not linted here) and only Prettier checks them.
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/peers/**', '**/*.js', '**/*.mjs'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The bus core is framework-free (issue 20): only libs/bus/src/nest/ imports NestJS,
    // so the NestJS-free SDK can reuse the core.
    files: ['libs/bus/src/**/*.ts'],
    ignores: ['libs/bus/src/nest/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*'],
              message: 'The bus core is framework-free: NestJS parts go in libs/bus/src/nest/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/sdk/src/**/*.ts'],
    ignores: ['libs/sdk/src/nest/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@runlog/bus',
              message: 'The SDK is framework-free: import the bus core from @runlog/bus/core.',
            },
          ],
          patterns: [
            {
              group: ['@nestjs/*'],
              message: 'The SDK is framework-free: NestJS parts go in libs/sdk/src/nest/.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
