// Lint: typescript-eslint with type information, so that floating promises are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '**/.data/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  // Boundaries (issue 20): the agent and the exporter share only hub/common with the hub;
  // hub/common depends on nothing outside itself. A wrong import fails the lint.
  {
    files: ['agent/**/*.ts', 'exporter/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '^(\\.\\./)+hub/(?!common/)',
            message: 'agent/ and exporter/ may import only hub/common/ of the hub',
          },
          {
            regex: '^(\\.\\./)+hub/common/',
            message: 'import hub/common/ through the #common/* alias (package.json imports)',
          },
        ],
      }],
    },
  },
  {
    files: ['hub/common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+(hub/|agent/|exporter/|(api|web|store|model|core|poller|dispatch|remediation|mqtt|jobs|catalog|prometheus)/)',
          message: 'hub/common/ imports nothing outside itself',
        }],
      }],
    },
  },
  {
    files: ['hub/model/**/*.ts', 'hub/core/**/*.ts', 'hub/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+(remediation|api|web)/',
          message: 'hub/model, hub/core and hub/store import nothing from remediation/, api/ or web/',
        }],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
