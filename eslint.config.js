// Lint: typescript-eslint's recommended rules, and no-unsanitized so that no
// page data can reach the DOM as HTML (innerHTML, outerHTML, insertAdjacentHTML, ...).
import tseslint from 'typescript-eslint';
import nounsanitized from 'eslint-plugin-no-unsanitized';

export default tseslint.config(
  { ignores: ['dist/', 'dist-*/', 'demo/dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'bench/results*'] },
  ...tseslint.configs.recommended,
  nounsanitized.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Never render page data as HTML.' },
        { selector: "MemberExpression[property.name='innerHTML']", message: 'Never use innerHTML: build DOM nodes or text.' },
        { selector: "MemberExpression[property.name='outerHTML']", message: 'Never use outerHTML.' },
      ],
    },
  },
);
