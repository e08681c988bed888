import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { catalog, commandError, deferred, venue, venueCode } from '../test/fixtures';
import type { Venue } from '../lib/types';
import VenueList from './VenueList.svelte';

const listVenues = vi.mocked(api.listVenues);
const setServedVenue = vi.mocked(api.setServedVenue);
const updateVenue = vi.mocked(api.updateVenue);

const mall = venue({
  id: 'v-mall',
  name: '鼓楼区便民超市',
  category: 'mall',
  district: 'gulou',
  manager_name: '王建国',
  manager_phone: '13837800001',
  manager_name_masked: '王**',
  manager_phone_masked: '138****0001',
});
const hotel = venue({
  id: 'v-hotel',
  kind: 'destination',
  name: '开封宾馆',
  category: 'hotel',
  district: 'longting',
  address: '自由路66号',
  manager_name: 'John Smith',
  manager_phone: '0371-23456789',
  manager_name_masked: 'J*****',
  manager_phone_masked: '0371-****6789',
  served: true,
});
const rare = venue({
  id: 'v-rare',
  name: '𠈌记面馆',
  category: 'restaurant',
  manager_name: '𠈌建国',
  manager_phone: '13900001234',
  manager_name_masked: '𠈌**',
  manager_phone_masked: '139****1234',
});

beforeEach(() => {
  vi.resetAllMocks();
  listVenues.mockResolvedValue([mall, hotel, rare]);
});

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId('venue-row').find((r) => r.dataset.venueId === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

describe('VenueList', () => {
  it('marks a venue the centre refused, with its reason', async () => {
    listVenues.mockResolvedValue([venue({ id: 'v-9', name: '重复的卡口', rejected: '重复登记：一所一码' })]);
    render(VenueList, { catalog, admin: true });
    expect(await screen.findByTestId('venue-rejected')).toHaveTextContent('中心驳回：重复登记：一所一码');
  });

  it('lists venues with catalog labels and the count', async () => {
    render(VenueList, { admin: true, catalog });
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(3);
    expect(listVenues).toHaveBeenCalledWith('');
    expect(screen.getByText('共 3 个场所')).toBeInTheDocument();

    const cells = within(row('v-hotel'));
    expect(cells.getByTestId('venue-row-name')).toHaveTextContent('开封宾馆');
    expect(cells.getByText('专属场所码·目的地场所')).toBeInTheDocument();
    expect(cells.getByText('宾馆酒店')).toBeInTheDocument();
    expect(cells.getByText('龙亭区')).toBeInTheDocument();
    expect(cells.getByText('自由路66号')).toBeInTheDocument();
  });

  it('shows the search box only once the first results are in', async () => {
    const pending = deferred<Venue[]>();
    listVenues.mockReturnValue(pending.promise);
    render(VenueList, { admin: true, catalog });

    expect(screen.getByText('正在查询…')).toBeInTheDocument();
    expect(screen.queryByTestId('venue-search')).not.toBeInTheDocument();

    pending.resolve([mall]);
    expect(await screen.findByTestId('venue-search')).toBeInTheDocument();
    expect(screen.getAllByTestId('venue-row')).toHaveLength(1);
  });

  it('shows the manager names and phones as the backend masked them, never in full', async () => {
    const { container } = render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');

    expect(within(row('v-mall')).getByText('王**')).toBeInTheDocument();
    expect(within(row('v-mall')).getByText('138****0001')).toBeInTheDocument();
    expect(within(row('v-hotel')).getByText('J*****')).toBeInTheDocument();
    expect(within(row('v-hotel')).getByText('0371-****6789')).toBeInTheDocument();
    expect(within(row('v-rare')).getByText('𠈌**')).toBeInTheDocument();
    expect(within(row('v-rare')).getByText('139****1234')).toBeInTheDocument();

    const text = container.textContent ?? '';
    for (const secret of ['13837800001', '23456789', '13900001234', '王建国', '建国', 'Smith']) {
      expect(text).not.toContain(secret);
    }
  });

  it('searches as the clerk types, once the typing pauses', async () => {
    const user = userEvent.setup();
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');
    listVenues.mockClear();
    listVenues.mockResolvedValue([hotel]);

    await user.type(screen.getByPlaceholderText('搜索名称、地址、负责人、辖区或类型'), '宾馆');

    await waitFor(() => expect(listVenues).toHaveBeenCalledWith('宾馆'));
    // Debounced: not one call per character.
    expect(listVenues).not.toHaveBeenCalledWith('宾');
    expect(listVenues).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.getAllByTestId('venue-row')).toHaveLength(1));
    expect(screen.getByText('共 1 个场所')).toBeInTheDocument();
  });

  it('searches at once on Enter', async () => {
    const user = userEvent.setup();
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');
    listVenues.mockClear();

    await user.type(screen.getByTestId('venue-search'), '龙亭{Enter}');

    // Well within the debounce delay, so this call came from Enter.
    expect(listVenues).toHaveBeenCalledWith('龙亭');
  });

  it('says so when nothing matches', async () => {
    const user = userEvent.setup();
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');
    listVenues.mockResolvedValue([]);

    await user.type(screen.getByTestId('venue-search'), '不存在{Enter}');

    expect(await screen.findByText('没有找到与“不存在”相符的场所。')).toBeInTheDocument();
    expect(screen.queryByTestId('venue-row')).not.toBeInTheDocument();
    expect(screen.getByText('共 0 个场所')).toBeInTheDocument();
  });

  it('says so when no venue is registered yet', async () => {
    listVenues.mockResolvedValue([]);
    render(VenueList, { admin: true, catalog });
    expect(await screen.findByText('尚未登记任何场所。')).toBeInTheDocument();
  });

  it('"设为本台场所" makes the venue the served one', async () => {
    const user = userEvent.setup();
    const onservedchange = vi.fn();
    const served = { ...mall, served: true };
    setServedVenue.mockResolvedValue(served);
    render(VenueList, { admin: true, catalog, onservedchange });
    await screen.findAllByTestId('venue-row');

    // The served venue has a badge instead of the button.
    expect(within(row('v-hotel')).getByText('本台场所')).toBeInTheDocument();
    expect(within(row('v-hotel')).queryByTestId('venue-set-served')).not.toBeInTheDocument();

    await user.click(within(row('v-mall')).getByRole('button', { name: /设为本台场所/ }));

    expect(setServedVenue).toHaveBeenCalledWith('v-mall');
    await waitFor(() => expect(onservedchange).toHaveBeenCalledWith(served));
    expect(within(row('v-mall')).getByText('本台场所')).toBeInTheDocument();
    expect(within(row('v-hotel')).getByTestId('venue-set-served')).toBeInTheDocument();
  });

  it('shows a failure to set the served venue', async () => {
    const user = userEvent.setup();
    setServedVenue.mockRejectedValue(commandError({ code: 'not_found', message: '未找到该场所' }));
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');

    await user.click(within(row('v-mall')).getByTestId('venue-set-served'));

    expect(await screen.findByRole('alert')).toHaveTextContent('未找到该场所');
  });

  it('"编辑" opens the form with the full values, and saving returns to the list', async () => {
    const user = userEvent.setup();
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');

    await user.click(within(row('v-mall')).getByTestId('venue-edit'));

    expect(screen.getByLabelText('联系电话')).toHaveValue('13837800001');
    expect(screen.getByLabelText('负责人姓名')).toHaveValue('王建国');
    expect(screen.getByLabelText('场所名称')).toHaveValue('鼓楼区便民超市');
    expect(screen.queryByTestId('venue-row')).not.toBeInTheDocument();

    const saved = { ...mall, address: '中山路中段20号' };
    updateVenue.mockResolvedValue(saved);
    listVenues.mockResolvedValue([saved, hotel, rare]);
    const address = screen.getByLabelText('详细地址');
    await user.clear(address);
    await user.type(address, '中山路中段20号{Enter}');

    expect(updateVenue).toHaveBeenCalledWith('v-mall', expect.objectContaining({ address: '中山路中段20号' }), false);
    expect(await screen.findByText('已保存：鼓楼区便民超市')).toBeInTheDocument();
    expect(within(row('v-mall')).getByText('中山路中段20号')).toBeInTheDocument();
    expect(within(row('v-mall')).getByTestId('venue-edit')).toHaveFocus();
  });

  it('"取消" leaves the venue unchanged', async () => {
    const user = userEvent.setup();
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');

    await user.click(within(row('v-hotel')).getByTestId('venue-edit'));
    await user.click(screen.getByRole('button', { name: '取消' }));

    expect(updateVenue).not.toHaveBeenCalled();
    expect(screen.getAllByTestId('venue-row')).toHaveLength(3);
    expect(within(row('v-hotel')).getByTestId('venue-edit')).toHaveFocus();
  });

  it('"场所码" opens the venue’s codes, and 返回 comes back to the row', async () => {
    const user = userEvent.setup();
    vi.mocked(api.venueCodes).mockResolvedValue([venueCode({ venue_id: 'v-hotel', label: '东门' })]);
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');

    await user.click(within(row('v-hotel')).getByTestId('venue-codes'));

    expect(await screen.findByTestId('codes-panel')).toHaveTextContent('场所码与海报：开封宾馆');
    expect(api.venueCodes).toHaveBeenCalledWith('v-hotel');
    expect(screen.queryByTestId('venue-row')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('codes-back'));
    expect(screen.queryByTestId('codes-panel')).not.toBeInTheDocument();
    expect(within(row('v-hotel')).getByTestId('venue-codes')).toHaveFocus();
  });
});

describe('VenueList: 批量打印海报', () => {
  it('prints the ticked venues into one PDF, with progress', async () => {
    const user = userEvent.setup();
    const pending = deferred<string | null>();
    let progress: (done: number) => void = () => {};
    vi.mocked(api.savePosters).mockImplementation((_ids, _codes, _landscape, _format, onProgress) => {
      progress = onProgress;
      return pending.promise;
    });
    // 便民超市 has two entrances, 面馆 none yet (it gets 正门): three posters.
    vi.mocked(api.venueCodes).mockImplementation(async (id) =>
      id === 'v-mall' ? [venueCode({ label: '东门' }), venueCode({ label: '西门' })] : [],
    );
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');
    const print = screen.getByTestId('venue-print-selected');
    expect(print).toHaveTextContent('生成海报（0个场所）');
    expect(print).toBeDisabled();

    await user.click(within(row('v-mall')).getByTestId('venue-select'));
    await user.click(within(row('v-rare')).getByTestId('venue-select'));
    expect(print).toHaveTextContent('生成海报（2个场所）');
    expect(screen.getByTestId('venue-select-all')).toHaveProperty('indeterminate', true);
    await user.click(print);

    expect(api.savePosters).toHaveBeenCalledWith(['v-mall', 'v-rare'], [], false, 'pdf', expect.any(Function));
    // Nothing laid out yet (the save dialog may be open): indeterminate.
    const bar = screen.getByTestId('poster-progress');
    expect(bar).not.toHaveAttribute('value');
    expect(print).toBeDisabled();

    progress(1);
    await waitFor(() => expect(screen.getByTestId('poster-progress')).toHaveAttribute('value', '1'));
    expect(screen.getByTestId('poster-progress')).toHaveAttribute('max', '3');
    expect(screen.getByTestId('poster-status')).toHaveTextContent('已生成 1 张，共 3 张');
    progress(2);
    await waitFor(() => expect(screen.getByTestId('poster-status')).toHaveTextContent('已生成 2 张，共 3 张'));
    expect(screen.getByTestId('poster-progress')).toHaveAttribute('value', '2');

    pending.resolve('/home/desk/场所码海报-3张.pdf');
    expect(await screen.findByTestId('save-result')).toHaveTextContent('已保存：/home/desk/场所码海报-3张.pdf');
    expect(screen.queryByTestId('poster-progress')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('save-open'));
    expect(api.openFile).toHaveBeenCalledWith('/home/desk/场所码海报-3张.pdf');
  });

  it('全选 ticks every venue shown, 横版 prints in landscape, 取消 stops and nothing is saved', async () => {
    const user = userEvent.setup();
    const pending = deferred<string | null>();
    vi.mocked(api.savePosters).mockReturnValue(pending.promise);
    vi.mocked(api.venueCodes).mockResolvedValue([]);
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');

    await user.click(screen.getByTestId('venue-select-all'));
    for (const box of screen.getAllByTestId('venue-select')) expect(box).toBeChecked();
    await user.click(screen.getByTestId('print-landscape'));
    await user.click(screen.getByRole('button', { name: /生成海报（3个场所）/ }));

    expect(api.savePosters).toHaveBeenCalledWith(['v-mall', 'v-hotel', 'v-rare'], [], true, 'pdf', expect.any(Function));
    await user.click(screen.getByTestId('poster-cancel'));
    expect(api.cancelPosters).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('poster-cancel')).toHaveTextContent('正在取消…');

    pending.resolve(null);
    expect(await screen.findByTestId('save-none')).toHaveTextContent('未保存文件。');
    expect(screen.queryByTestId('save-result')).not.toBeInTheDocument();
    expect(screen.queryByTestId('poster-progress')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('venue-select-all'));
    for (const box of screen.getAllByTestId('venue-select')) expect(box).not.toBeChecked();
    expect(screen.getByTestId('venue-print-selected')).toBeDisabled();
  });

  it('prints only the ticked venues the search shows', async () => {
    const user = userEvent.setup();
    vi.mocked(api.savePosters).mockResolvedValue('/tmp/a.pdf');
    vi.mocked(api.venueCodes).mockResolvedValue([]);
    render(VenueList, { admin: true, catalog });
    await screen.findAllByTestId('venue-row');
    await user.click(screen.getByTestId('venue-select-all'));

    listVenues.mockResolvedValue([hotel]);
    await user.type(screen.getByTestId('venue-search'), '宾馆{Enter}');
    await waitFor(() => expect(screen.getAllByTestId('venue-row')).toHaveLength(1));
    await user.click(screen.getByTestId('venue-print-selected'));

    expect(api.savePosters).toHaveBeenCalledWith(['v-hotel'], [], false, 'pdf', expect.any(Function));
  });

  it('shows why the posters could not be made, and hands signed_out on', async () => {
    const user = userEvent.setup();
    const onsignedout = vi.fn();
    vi.mocked(api.venueCodes).mockResolvedValue([]);
    vi.mocked(api.savePosters)
      .mockRejectedValueOnce(commandError({ code: 'storage', message: '无法写入文件' }))
      .mockRejectedValueOnce(commandError({ code: 'signed_out', message: '请先登录：选择登记员并输入PIN' }));
    render(VenueList, { admin: true, catalog, onsignedout });
    await screen.findAllByTestId('venue-row');
    await user.click(within(row('v-mall')).getByTestId('venue-select'));

    await user.click(screen.getByTestId('venue-print-selected'));
    expect(await screen.findByTestId('poster-error')).toHaveTextContent('无法写入文件');

    await user.click(screen.getByTestId('venue-print-selected'));
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
    expect(screen.getByTestId('list-error')).toHaveTextContent('请先登录');
  });

  it('shows an operator who is not the administrator no edit and no 设为本台场所', async () => {
    render(VenueList, { admin: false, catalog });
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(3);
    expect(screen.queryByTestId('venue-edit')).not.toBeInTheDocument();
    expect(screen.queryByTestId('venue-set-served')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('venue-codes')).toHaveLength(3);
    // Their search does not match the manager (shown masked), and the box does not offer it.
    expect(screen.getByTestId('venue-search')).toHaveAttribute('placeholder', '搜索名称、地址、辖区或类型');
  });
});
