import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  // The desk remembers a few preferences (the isolation point); each test starts without them.
  globalThis.localStorage?.clear();
});
