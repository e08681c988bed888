import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { LOCALE_KEY, setLocale } from '../lib/i18n';
import LanguageSetting from './LanguageSetting.svelte';

afterEach(() => {
  localStorage.removeItem(LOCALE_KEY);
  setLocale('zh-CN');
  vi.unstubAllGlobals();
});

describe('LanguageSetting', () => {
  it('offers Chinese and English in their own words; switching keeps the choice and draws the window again', async () => {
    const reload = vi.fn();
    vi.stubGlobal('location', { reload });
    const user = userEvent.setup();
    render(LanguageSetting);
    const choice = screen.getByTestId('language-choice');
    expect([...choice.querySelectorAll('option')].map((o) => o.textContent)).toEqual(['中文', 'English']);
    const apply = screen.getByTestId('language-apply');
    expect(apply).toBeDisabled();
    expect(apply).toHaveTextContent('切换');
    await user.selectOptions(choice, 'en');
    expect(apply).toBeEnabled();
    await user.click(apply);
    expect(localStorage.getItem(LOCALE_KEY)).toBe('en');
    expect(reload).toHaveBeenCalledOnce();
  });

  it('speaks English when the desk does', () => {
    setLocale('en');
    render(LanguageSetting);
    expect(screen.getByRole('heading')).toHaveTextContent('Language');
    expect(screen.getByTestId('language-apply')).toHaveTextContent('Switch');
  });
});
