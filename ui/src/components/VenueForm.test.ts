import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { catalog, commandError, deferred, venue } from '../test/fixtures';
import type { Venue, VenueInput } from '../lib/types';
import VenueForm from './VenueForm.svelte';

const registerVenue = vi.mocked(api.registerVenue);
const updateVenue = vi.mocked(api.updateVenue);

beforeEach(() => {
  vi.resetAllMocks();
});

/** What a clerk types, with full-width digits and brackets as a Chinese IME produces them. */
const typed: VenueInput = {
  kind: 'destination',
  category: 'mall',
  name: '鼓楼区ＫＦＣ（中山店）',
  district: 'gulou',
  address: '中山路中段１８号',
  manager_name: '王建国',
  manager_phone: '１３８ ３７８０ ０００１',
};

async function fillForm(user: ReturnType<typeof userEvent.setup>, values: VenueInput = typed) {
  await user.selectOptions(screen.getByLabelText('码的类型'), '专属场所码·目的地场所');
  await user.selectOptions(screen.getByLabelText('场所类型'), '商场超市');
  await user.type(screen.getByLabelText('场所名称'), values.name);
  await user.selectOptions(screen.getByLabelText('所在辖区'), '鼓楼区');
  await user.type(screen.getByLabelText('详细地址'), values.address);
  await user.type(screen.getByLabelText('负责人姓名'), values.manager_name);
  await user.type(screen.getByLabelText('联系电话'), values.manager_phone);
}

describe('VenueForm (register)', () => {
  it('shows every field with its Chinese label, the catalog choices and hints', () => {
    render(VenueForm, { catalog });
    for (const label of ['码的类型', '场所类型', '场所名称', '所在辖区', '详细地址', '负责人姓名', '联系电话']) {
      expect(screen.getByLabelText(label)).toBeInTheDocument();
    }
    expect(screen.getByLabelText('码的类型')).toHaveValue('general');
    expect(screen.getByRole('option', { name: '居民社区(小区)' })).toBeInTheDocument();
    expect(screen.getByRole('option', { name: '顺河回族区' })).toBeInTheDocument();
    expect(screen.getByLabelText('详细地址')).toHaveAttribute('placeholder', '如：中山路中段18号');
    expect(screen.getByLabelText('联系电话')).toHaveAttribute('placeholder', '手机号或0371固定电话');
    expect(screen.getByRole('button', { name: '登记场所' })).toBeEnabled();
  });

  it('submits the typed values unchanged when Enter is pressed in a field', async () => {
    const user = userEvent.setup();
    registerVenue.mockResolvedValue(venue({ name: '鼓楼区KFC(中山店)' }));
    render(VenueForm, { catalog });

    await fillForm(user);
    expect(registerVenue).not.toHaveBeenCalled();
    await user.keyboard('{Enter}');

    expect(registerVenue).toHaveBeenCalledTimes(1);
    expect(registerVenue).toHaveBeenCalledWith(typed, false);
  });

  it('gives a checkpoint its own category, offered to no other venue, and says its code is published', async () => {
    const user = userEvent.setup();
    registerVenue.mockResolvedValue(venue({ name: '开封东卡口', kind: 'checkpoint', category: 'checkpoint' }));
    render(VenueForm, { catalog });
    const category = screen.getByLabelText('场所类型');
    expect(screen.queryByRole('option', { name: '交通卡口(疫情防控检查站)' })).toBeNull();
    await user.selectOptions(category, '商场超市');
    await user.selectOptions(screen.getByLabelText('码的类型'), '专属场所码·交通卡口');
    expect(category).toHaveValue('checkpoint');
    expect(screen.queryByRole('option', { name: '商场超市' })).toBeNull();
    // Back to a venue: 交通卡口 is not kept for it.
    await user.selectOptions(screen.getByLabelText('码的类型'), '场所码');
    expect(category).toHaveValue('');
    await user.selectOptions(screen.getByLabelText('码的类型'), '专属场所码·交通卡口');
    await user.type(screen.getByLabelText('场所名称'), '开封东卡口');
    await user.keyboard('{Enter}');
    expect(registerVenue).toHaveBeenCalledWith(expect.objectContaining({ kind: 'checkpoint', category: 'checkpoint' }), false);
    expect(await screen.findByTestId('form-success')).toHaveTextContent('卡口码已签发');
  });

  it('submits with Enter on a select box too', async () => {
    const user = userEvent.setup();
    registerVenue.mockResolvedValue(venue());
    render(VenueForm, { catalog });

    await user.selectOptions(screen.getByLabelText('所在辖区'), '兰考县');
    screen.getByLabelText('所在辖区').focus();
    await user.keyboard('{Enter}');

    expect(registerVenue).toHaveBeenCalledWith(expect.objectContaining({ district: 'lankao' }), false);
  });

  it('after success names the venue, clears the form and returns to the first field', async () => {
    const user = userEvent.setup();
    registerVenue.mockResolvedValue(venue({ name: '鼓楼区KFC(中山店)' }));
    const onsaved = vi.fn();
    render(VenueForm, { catalog, onsaved });

    await fillForm(user);
    await user.keyboard('{Enter}');

    expect(await screen.findByTestId('form-success')).toHaveTextContent('已登记：鼓楼区KFC(中山店)');
    expect(screen.getByLabelText('场所名称')).toHaveValue('');
    expect(screen.getByLabelText('联系电话')).toHaveValue('');
    expect(screen.getByLabelText('场所类型')).toHaveValue('');
    expect(screen.getByLabelText('码的类型')).toHaveValue('general');
    expect(screen.getByLabelText('码的类型')).toHaveFocus();
    expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ name: '鼓楼区KFC(中山店)' }));
  });

  it('disables the submit button while saving, so Enter cannot register twice', async () => {
    const user = userEvent.setup();
    const pending = deferred<Venue>();
    registerVenue.mockReturnValue(pending.promise);
    render(VenueForm, { catalog });

    await user.type(screen.getByLabelText('场所名称'), '甲{Enter}');
    const button = screen.getByTestId('venue-submit');
    expect(button).toBeDisabled();
    await user.type(screen.getByLabelText('场所名称'), '{Enter}');
    expect(registerVenue).toHaveBeenCalledTimes(1);

    pending.resolve(venue({ name: '甲' }));
    await waitFor(() => expect(button).toBeEnabled());
    expect(button).toHaveTextContent('登记场所');
  });

  it('shows each field error under its field and focuses the first invalid field', async () => {
    const user = userEvent.setup();
    registerVenue.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '联系电话：不是有效的手机号（第二位应为3至9）',
        // The backend's order is not the form's: the name field comes first on screen.
        fields: [
          { field: 'manager_phone', message: '联系电话：不是有效的手机号（第二位应为3至9）' },
          { field: 'name', message: '场所名称：不能为空' },
        ],
      }),
    );
    render(VenueForm, { catalog });

    await user.type(screen.getByLabelText('联系电话'), '12345678901{Enter}');

    const phoneError = await screen.findByTestId('error-manager_phone');
    expect(phoneError).toHaveTextContent('联系电话：不是有效的手机号（第二位应为3至9）');
    expect(screen.getByTestId('error-name')).toHaveTextContent('场所名称：不能为空');
    expect(screen.queryByTestId('error-address')).not.toBeInTheDocument();

    const phone = screen.getByLabelText('联系电话');
    expect(phone).toHaveAttribute('aria-invalid', 'true');
    expect(phone).toHaveAccessibleDescription('联系电话：不是有效的手机号（第二位应为3至9）');
    expect(screen.getByLabelText('场所名称')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('详细地址')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByLabelText('场所名称')).toHaveFocus();
    expect(screen.queryByTestId('form-error')).not.toBeInTheDocument();
    expect(screen.queryByTestId('form-success')).not.toBeInTheDocument();
  });

  it('clears a field error once that field is edited', async () => {
    const user = userEvent.setup();
    registerVenue.mockRejectedValue(
      commandError({
        code: 'invalid',
        fields: [
          { field: 'name', message: '场所名称：不能为空' },
          { field: 'address', message: '详细地址：不能为空' },
        ],
      }),
    );
    render(VenueForm, { catalog });
    await user.type(screen.getByLabelText('场所名称'), '{Enter}');
    await screen.findByTestId('error-name');

    await user.type(screen.getByLabelText('场所名称'), '甲');
    expect(screen.queryByTestId('error-name')).not.toBeInTheDocument();
    expect(screen.getByTestId('error-address')).toBeInTheDocument();
  });

  it('shows a duplicate in a red banner', async () => {
    const user = userEvent.setup();
    const message = '重复登记：该场所已登记为“鼓楼区便民超市”（中山路中段18号），一所一码，不能重复登记';
    registerVenue.mockRejectedValue(commandError({ code: 'duplicate', message }));
    render(VenueForm, { catalog });

    await fillForm(user);
    await user.keyboard('{Enter}');

    const banner = await screen.findByTestId('form-error');
    expect(banner).toHaveTextContent(message);
    expect(banner).toHaveRole('alert');
    expect(banner).toHaveClass('banner-error');
    // Nothing was registered, so what was typed stays for correction.
    expect(screen.getByLabelText('场所名称')).toHaveValue(typed.name);
    expect(screen.queryByTestId('form-success')).not.toBeInTheDocument();
  });

  it('shows any other failure in the red banner too', async () => {
    const user = userEvent.setup();
    registerVenue.mockRejectedValue('panic');
    render(VenueForm, { catalog });
    await user.type(screen.getByLabelText('场所名称'), '甲{Enter}');
    expect(await screen.findByTestId('form-error')).toHaveTextContent('操作失败，请重试');
  });

  it('lists similar venues and registers anyway once the clerk confirms', async () => {
    const user = userEvent.setup();
    const similar = [
      venue({ id: 's1', name: '鼓楼区KFC中山店', address: '中山路中段18号' }),
      venue({ id: 's2', name: 'KFC（中山路店）', district: 'longting', address: '中山路中段18号附1号' }),
    ];
    registerVenue
      .mockRejectedValueOnce(
        commandError({
          code: 'near_duplicate',
          message: '发现2个相似场所（同地址、同类型、名称相近），请确认不是重复登记',
          similar,
        }),
      )
      .mockResolvedValueOnce(venue({ name: '鼓楼区KFC(中山店)' }));
    render(VenueForm, { catalog });

    await fillForm(user);
    await user.keyboard('{Enter}');

    const names = await screen.findAllByTestId('similar-venue');
    expect(names.map((n) => n.textContent)).toEqual([
      expect.stringContaining('鼓楼区KFC中山店'),
      expect.stringContaining('KFC（中山路店）'),
    ]);
    // District labels come from the catalog, not the keys.
    expect(names[1]).toHaveTextContent('龙亭区');
    expect(screen.getByText('发现2个相似场所（同地址、同类型、名称相近），请确认不是重复登记')).toBeInTheDocument();
    expect(screen.queryByTestId('form-success')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: '确认不是重复，仍然登记' }));

    expect(registerVenue).toHaveBeenCalledTimes(2);
    expect(registerVenue).toHaveBeenNthCalledWith(1, typed, false);
    expect(registerVenue).toHaveBeenNthCalledWith(2, typed, true);
    expect(await screen.findByTestId('form-success')).toHaveTextContent('已登记：鼓楼区KFC(中山店)');
    expect(screen.queryByTestId('similar-venue')).not.toBeInTheDocument();
  });

  it('"返回修改" closes the warning without registering and goes back to the name', async () => {
    const user = userEvent.setup();
    registerVenue.mockRejectedValueOnce(
      commandError({ code: 'near_duplicate', message: '发现1个相似场所', similar: [venue({ id: 's1' })] }),
    );
    render(VenueForm, { catalog });
    await fillForm(user);
    await user.keyboard('{Enter}');
    await screen.findByTestId('venue-confirm-similar');

    await user.click(screen.getByRole('button', { name: '返回修改' }));

    expect(screen.queryByTestId('venue-confirm-similar')).not.toBeInTheDocument();
    expect(screen.getByLabelText('场所名称')).toHaveFocus();
    expect(screen.getByLabelText('场所名称')).toHaveValue(typed.name);
    expect(registerVenue).toHaveBeenCalledTimes(1);
  });
});

describe('VenueForm (edit)', () => {
  const existing = venue({
    id: 'v-42',
    kind: 'destination',
    category: 'hotel',
    name: '开封宾馆',
    district: 'longting',
    address: '自由路66号',
    manager_name: '李𠈌',
    manager_phone: '0371-23456789',
  });

  it('is prefilled with the full values', () => {
    render(VenueForm, { catalog, venue: existing });
    expect(screen.getByLabelText('码的类型')).toHaveValue('destination');
    expect(screen.getByLabelText('场所类型')).toHaveValue('hotel');
    expect(screen.getByLabelText('场所名称')).toHaveValue('开封宾馆');
    expect(screen.getByLabelText('所在辖区')).toHaveValue('longting');
    expect(screen.getByLabelText('详细地址')).toHaveValue('自由路66号');
    expect(screen.getByLabelText('负责人姓名')).toHaveValue('李𠈌');
    expect(screen.getByLabelText('联系电话')).toHaveValue('0371-23456789');
    expect(screen.getByRole('button', { name: '保存修改' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: '登记场所' })).not.toBeInTheDocument();
  });

  it('saves through updateVenue with the venue id', async () => {
    const user = userEvent.setup();
    const saved = { ...existing, manager_phone: '13837800002' };
    updateVenue.mockResolvedValue(saved);
    const onsaved = vi.fn();
    render(VenueForm, { catalog, venue: existing, onsaved });

    const phone = screen.getByLabelText('联系电话');
    await user.clear(phone);
    await user.type(phone, '13837800002{Enter}');

    expect(updateVenue).toHaveBeenCalledWith(
      'v-42',
      {
        kind: 'destination',
        category: 'hotel',
        name: '开封宾馆',
        district: 'longting',
        address: '自由路66号',
        manager_name: '李𠈌',
        manager_phone: '13837800002',
      },
      false,
    );
    expect(registerVenue).not.toHaveBeenCalled();
    await waitFor(() => expect(onsaved).toHaveBeenCalledWith(saved));
  });

  it('"取消" and Esc give up editing', async () => {
    const user = userEvent.setup();
    const oncancel = vi.fn();
    render(VenueForm, { catalog, venue: existing, oncancel });

    await user.click(screen.getByRole('button', { name: '取消' }));
    expect(oncancel).toHaveBeenCalledTimes(1);

    await user.type(screen.getByLabelText('详细地址'), '{Escape}');
    expect(oncancel).toHaveBeenCalledTimes(2);
    expect(updateVenue).not.toHaveBeenCalled();
  });
});
