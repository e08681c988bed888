import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { invalid } from '../test/fixtures';
import type { Occupancy } from '../lib/types';
import OccupancyPanel from './OccupancyPanel.svelte';

function occ(overrides: Partial<Occupancy> = {}): Occupancy {
  return {
    venue_id: 'v1',
    inside: 3,
    entrances: [
      { label: '南门', inside: 2 },
      { label: '登记台', inside: 1 },
    ],
    limit: { capacity: 10, percent: 50, stay_minutes: 120 },
    ordered: null,
    max_inside: 5,
    full: false,
    ...overrides,
  };
}

beforeEach(() => {
  vi.resetAllMocks();
});

describe('OccupancyPanel', () => {
  it('shows who is inside against the limit, per entrance, and red when full', async () => {
    vi.mocked(api.occupancy).mockResolvedValue(occ());
    const { unmount } = render(OccupancyPanel, { admin: false });
    expect(await screen.findByTestId('occupancy-inside')).toHaveTextContent('场内 3 人／限 5 人');
    expect(screen.getByTestId('occupancy-entrances')).toHaveTextContent('南门 2人，登记台 1人');
    expect(screen.getByTestId('occupancy')).toHaveTextContent('核定容量10人，限流50%，未离场者120分钟后自动离场');
    expect(screen.queryByTestId('occupancy-full')).toBeNull();
    expect(screen.queryByTestId('occupancy-set-limit')).toBeNull();
    unmount();
    vi.mocked(api.occupancy).mockResolvedValue(occ({ inside: 5, full: true }));
    render(OccupancyPanel, { admin: false });
    expect(await screen.findByTestId('occupancy-full')).toHaveTextContent('已满');
  });

  it('shows an order from the centre, and asks for the capacity where it cannot be counted', async () => {
    vi.mocked(api.occupancy).mockResolvedValue(occ({ ordered: 30, max_inside: 3, full: true, inside: 3 }));
    const { unmount } = render(OccupancyPanel, { admin: true });
    expect(await screen.findByTestId('occupancy-order')).toHaveTextContent('上级限流令：最多接待核定容量的30%');
    expect(screen.getByTestId('occupancy-order')).not.toHaveTextContent('核定容量，才能');
    expect(screen.getByTestId('occupancy-inside')).toHaveTextContent('场内 3 人／限 3 人');
    unmount();
    vi.mocked(api.occupancy).mockResolvedValue(occ({ ordered: 30, limit: null, max_inside: null }));
    render(OccupancyPanel, { admin: true });
    expect(await screen.findByTestId('occupancy-order')).toHaveTextContent('请管理员填写核定容量，才能按限流令计数');
    expect(screen.queryByTestId('occupancy-full')).toBeNull();
  });

  it('离场 by the last four says who left; a refusal is shown under the field', async () => {
    const user = userEvent.setup();
    vi.mocked(api.occupancy).mockResolvedValue(occ());
    vi.mocked(api.checkOut).mockRejectedValueOnce(invalid('query', '场内有2人证件后四位相同，请输入完整证件号码'));
    vi.mocked(api.checkOut).mockResolvedValueOnce({ name_masked: '王**', at: '2026-12-01T02:00:00Z', inside: 2 });
    render(OccupancyPanel, { admin: false });
    await user.type(await screen.findByTestId('checkout-query'), '0014{Enter}');
    expect(await screen.findByTestId('error-query')).toHaveTextContent('场内有2人证件后四位相同');
    await user.clear(screen.getByTestId('checkout-query'));
    await user.type(screen.getByTestId('checkout-query'), '410202199003070014{Enter}');
    expect(api.checkOut).toHaveBeenLastCalledWith('410202199003070014');
    expect(await screen.findByTestId('occupancy-notice')).toHaveTextContent('王** 已离场，场内 2 人');
    expect(screen.getByTestId('checkout-query')).toHaveValue('');
  });

  it('the administrator sets the limit; what is not a whole number is named before sending', async () => {
    const user = userEvent.setup();
    vi.mocked(api.occupancy).mockResolvedValue(occ({ limit: null, max_inside: null }));
    vi.mocked(api.setVenueLimit).mockResolvedValue(occ({ max_inside: 400, limit: { capacity: 800, percent: 50, stay_minutes: 90 } }));
    render(OccupancyPanel, { admin: true });
    expect(await screen.findByTestId('occupancy')).toHaveTextContent('未设限流');
    await user.click(screen.getByTestId('occupancy-set-limit'));
    await user.type(screen.getByTestId('limit-capacity'), '八百');
    await user.click(screen.getByTestId('limit-save'));
    expect(await screen.findByTestId('error-capacity')).toHaveTextContent('请填写正整数');
    expect(api.setVenueLimit).not.toHaveBeenCalled();
    await user.clear(screen.getByTestId('limit-capacity'));
    await user.type(screen.getByTestId('limit-capacity'), '８００');
    await user.clear(screen.getByTestId('limit-percent'));
    await user.type(screen.getByTestId('limit-percent'), '５０％');
    await user.clear(screen.getByTestId('limit-stay_minutes'));
    await user.type(screen.getByTestId('limit-stay_minutes'), '90{Enter}');
    await waitFor(() => expect(api.setVenueLimit).toHaveBeenCalledWith({ capacity: 800, percent: 50, stay_minutes: 90 }));
    expect(await screen.findByTestId('occupancy-notice')).toHaveTextContent('最多 400 人同时在场');
    expect(screen.queryByTestId('limit-form')).toBeNull();
  });

  it('Esc closes the limit form without saving', async () => {
    const user = userEvent.setup();
    vi.mocked(api.occupancy).mockResolvedValue(occ());
    render(OccupancyPanel, { admin: true });
    await user.click(await screen.findByTestId('occupancy-set-limit'));
    await user.type(screen.getByTestId('limit-capacity'), '{Escape}');
    expect(screen.queryByTestId('limit-form')).toBeNull();
    expect(api.setVenueLimit).not.toHaveBeenCalled();
  });
});
