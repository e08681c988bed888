import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import type { LateHit } from '../lib/types';
import { commandError } from '../test/fixtures';
import LateHits from './LateHits.svelte';

const waiting: LateHit = {
  visit_id: 'v-1',
  at: '2026-12-01T02:30:00Z',
  masked_name: '孙**',
  masked_id: '410***********0071',
  colour: 'red',
  reported_to: null,
  reported_at: null,
  operator_name: null,
};
const done: LateHit = {
  ...waiting,
  visit_id: 'v-2',
  masked_name: '钱*',
  colour: 'yellow',
  reported_to: '已电话告知西司门社区',
  reported_at: '2026-12-01T03:00:00Z',
  operator_name: '张敏',
};

beforeEach(() => {
  vi.resetAllMocks();
});

describe('LateHits', () => {
  it('shows nothing when there are none', async () => {
    vi.mocked(api.lateHits).mockResolvedValue([]);
    render(LateHits, { onsignedout: vi.fn() });
    await waitFor(() => expect(api.lateHits).toHaveBeenCalled());
    expect(screen.queryByTestId('late-hits')).not.toBeInTheDocument();
  });

  it('lists each person let in green whom the centre holds at risk, and what to do', async () => {
    vi.mocked(api.lateHits).mockResolvedValue([waiting, done]);
    render(LateHits, { onsignedout: vi.fn() });
    const [one, two, ...more] = await screen.findAllByTestId('late-hit-row');
    if (!one || !two) throw new Error('two rows expected');
    expect(more).toHaveLength(0);
    expect(screen.getByTestId('late-hits-what')).toHaveTextContent('待上报 1 人');
    expect(screen.getByTestId('late-hits-what')).toHaveAttribute('role', 'alert');
    const first = within(one);
    for (const text of ['孙**', '410***********0071', '红码']) expect(first.getByText(text)).toBeInTheDocument();
    expect(first.getByTestId('late-hit-report')).toBeInTheDocument();
    expect(within(two).getByTestId('late-hit-done')).toHaveTextContent('张敏：已电话告知西司门社区');
    expect(within(two).queryByTestId('late-hit-report')).not.toBeInTheDocument();
  });

  it('records a report only with a note of what was done; Esc leaves it waiting', async () => {
    const user = userEvent.setup();
    vi.mocked(api.lateHits).mockResolvedValue([waiting]);
    const reportLateHit = vi.mocked(api.reportLateHit);
    render(LateHits, { onsignedout: vi.fn() });
    await user.click(await screen.findByTestId('late-hit-report'));
    expect(screen.getByTestId('late-hit-note')).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('late-hit-note')).not.toBeInTheDocument();
    expect(screen.getByTestId('late-hit-report')).toHaveFocus();
    expect(reportLateHit).not.toHaveBeenCalled();

    reportLateHit.mockRejectedValueOnce(
      commandError({ code: 'invalid', message: '请写明这一步做了什么', fields: [{ field: 'note', message: '请写明这一步做了什么' }] }),
    );
    await user.click(screen.getByTestId('late-hit-report'));
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('late-hits-error')).toHaveTextContent('请写明这一步做了什么');
    expect(reportLateHit).toHaveBeenLastCalledWith('v-1', '');

    reportLateHit.mockResolvedValueOnce([{ ...waiting, reported_to: '已告知社区', reported_at: '2026-12-01T04:00:00Z', operator_name: '张敏' }]);
    await user.type(screen.getByTestId('late-hit-note'), '已告知社区{Enter}');
    expect(reportLateHit).toHaveBeenLastCalledWith('v-1', '已告知社区');
    expect(await screen.findByTestId('late-hits-notice')).toHaveTextContent('孙**：已记录上报');
    expect(screen.getByTestId('late-hit-done')).toHaveTextContent('张敏：已告知社区');
    expect(screen.getByTestId('late-hits-what')).toHaveTextContent('均已记录上报');
    expect(screen.getByTestId('late-hits-what')).toHaveAttribute('role', 'status');
  });
});
