import { render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { invalid } from '../test/fixtures';
import type { ScreenCode } from '../lib/types';
import CodeScreen from './CodeScreen.svelte';

const screenCode = vi.mocked(api.screenCode);
const START = Date.parse('2026-12-01T02:00:00Z');

function shown(n: number, overrides: Partial<ScreenCode> = {}): ScreenCode {
  return {
    venue_name: '清明上河园',
    label: '南门',
    code: 'CODE',
    url: `HTTPS://PLACECODE.KAIFENG.GOV.CN/C/CODE/TOKEN${n}`,
    svg: `<svg data-n="${n}"></svg>`,
    starts_at_ms: START + n * 30_000,
    ends_at_ms: START + (n + 1) * 30_000,
    period: 30,
    clock_offset_ms: 500,
    rotating_only: false,
    ...overrides,
  };
}

beforeEach(() => {
  vi.resetAllMocks();
  vi.useFakeTimers({ shouldAdvanceTime: false });
  vi.setSystemTime(START + 10_000);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CodeScreen', () => {
  it('shows the code, the venue and the countdown, and the next code when the window ends', async () => {
    screenCode.mockResolvedValueOnce(shown(0)).mockResolvedValue(shown(1));
    render(CodeScreen);
    await vi.waitFor(() => expect(screen.getByTestId('screen-qr').dataset.url).toMatch(/TOKEN0$/));
    expect(screen.getByTestId('screen-venue')).toHaveTextContent('清明上河园');
    expect(screen.getByTestId('screen-entrance')).toHaveTextContent('南门');
    expect(screen.getByText('请用手机扫码登记')).toBeInTheDocument();
    expect(screen.getByText('Scan with your phone to check in')).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(1000);
    expect(screen.getByTestId('screen-left')).toHaveTextContent('19秒后换码 · New code in 19 s');
    expect(screen.queryByTestId('screen-clock')).toBeNull();
    expect(screen.queryByTestId('screen-only')).toBeNull();
    await vi.advanceTimersByTimeAsync(20_000);
    await vi.waitFor(() => expect(screen.getByTestId('screen-qr').dataset.url).toMatch(/TOKEN1$/));
  });

  it('says when the entrance takes only this screen, and when the clock is off', async () => {
    screenCode.mockResolvedValue(shown(0, { rotating_only: true, clock_offset_ms: -185_000 }));
    render(CodeScreen);
    expect(await screen.findByTestId('screen-only')).toHaveTextContent(
      '本入口只接受本屏上的码 / This entrance only takes the code on this screen',
    );
    expect(screen.getByTestId('screen-clock')).toHaveTextContent('本机时钟与中心相差3分钟');
  });

  it('takes the code down when the desk refuses it (revoked meanwhile)', async () => {
    screenCode.mockResolvedValueOnce(shown(0)).mockRejectedValue(invalid('code', '该场所码已作废'));
    render(CodeScreen);
    await vi.waitFor(() => expect(screen.getByTestId('screen-qr')).toBeInTheDocument());
    await vi.advanceTimersByTimeAsync(21_000);
    await vi.waitFor(() => expect(screen.getByTestId('screen-error')).toHaveTextContent('扫码屏暂停：该场所码已作废'));
    expect(screen.queryByTestId('screen-qr')).toBeNull();
  });
});
