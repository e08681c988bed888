import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { candidate, commandError, deferred, incident, result, riskStatus, syncStatus, venue } from '../test/fixtures';
import { mockSyncEvents } from '../test/syncEvents';
import type { Lookup } from '../lib/types';
import CheckInDesk from './CheckInDesk.svelte';

const checkInById = vi.mocked(api.checkInById);
const checkInByLast4 = vi.mocked(api.checkInByLast4);
const checkInPerson = vi.mocked(api.checkInPerson);
const checkInPicked = vi.mocked(api.checkInPicked);
const declare = vi.mocked(api.declare);
const registerManual = vi.mocked(api.registerManual);

const served = venue({ id: 'v-served', name: '开封宾馆', served: true });
const ID = '11010519491231002X';

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.riskStatus).mockResolvedValue(riskStatus());
});

/** Answers a person's three questions from the keyboard, in order (Y or N each). */
async function answer(user: ReturnType<typeof userEvent.setup>, prefix: string, keys: string[]): Promise<void> {
  const ids = ['visited-risk-area', 'contact', 'temperature-abnormal'];
  for (const [i, key] of keys.entries()) {
    screen.getByTestId(`${prefix}-${ids[i]}`).focus();
    await user.keyboard(key);
  }
}

function renderDesk(props: { tripCodeChecked?: boolean; served?: typeof served | null } = {}) {
  const onsignedout = vi.fn();
  const utils = render(CheckInDesk, {
    tripCodeChecked: props.tripCodeChecked ?? true,
    served: props.served === undefined ? served : props.served,
    onsignedout,
  });
  return { ...utils, onsignedout };
}

function box(): HTMLInputElement {
  return screen.getByTestId('checkin-input') as HTMLInputElement;
}

describe('CheckInDesk: the scan box', () => {
  it('is one big box with the instructions, the trip-code check on by default and the manual button', () => {
    renderDesk();
    expect(box()).toHaveAttribute('placeholder', '刷身份证 / 输入证件号码或后四位，按 Enter');
    expect(screen.getByTestId('trip-code-checked')).toBeChecked();
    expect(screen.getByLabelText(/已查验行程码/)).toBe(screen.getByTestId('trip-code-checked'));
    expect(screen.getByTestId('manual-open')).toHaveTextContent('手工登记');
  });

  it('sends 4 digits + Enter as the last four, with the trip-code flag', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'checked_in', result: result() });
    renderDesk();

    await user.type(box(), '1234');
    expect(checkInByLast4).not.toHaveBeenCalled();
    await user.keyboard('{Enter}');

    expect(checkInByLast4).toHaveBeenCalledWith('1234', null, true);
    expect(checkInById).not.toHaveBeenCalled();
  });

  it('takes a last four ending in x as X', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'no_match' });
    renderDesk();
    await user.type(box(), '002x{Enter}');
    expect(checkInByLast4).toHaveBeenCalledWith('002X', null, true);
  });

  it('sends 18 characters as a full ID number, and the flag as F2 left it', async () => {
    const user = userEvent.setup();
    checkInById.mockResolvedValue({ outcome: 'checked_in', result: result() });
    renderDesk();

    await user.keyboard('{F2}');
    expect(screen.getByTestId('trip-code-checked')).not.toBeChecked();
    await user.type(box(), `${ID}{Enter}`);

    expect(checkInById).toHaveBeenCalledWith(ID, false);
    expect(checkInByLast4).not.toHaveBeenCalled();
  });

  it('keeps the trip-code flag as set for the next person, and the box keeps the focus', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'no_match' });
    renderDesk();

    await user.click(screen.getByTestId('trip-code-checked'));
    expect(box()).toHaveFocus();
    await user.keyboard('1234{Enter}');
    await screen.findByTestId('checkin-message');
    await user.keyboard('5678{Enter}');

    expect(checkInByLast4.mock.calls).toEqual([
      ['1234', null, false],
      ['5678', null, false],
    ]);
  });

  it('does nothing on Enter in an empty box', async () => {
    const user = userEvent.setup();
    renderDesk();
    await user.type(box(), '{Enter}');
    expect(checkInById).not.toHaveBeenCalled();
    expect(checkInByLast4).not.toHaveBeenCalled();
  });

  it('shows a known person’s result screen in its colour', async () => {
    const user = userEvent.setup();
    checkInById.mockResolvedValue({
      outcome: 'checked_in',
      result: result({ colour: 'red', masked_name: '赵**', reasons: ['风险名单：密切接触者'] }),
    });
    renderDesk();

    await user.type(box(), `${ID}{Enter}`);

    const screenEl = await screen.findByTestId('result-screen');
    expect(screenEl).toHaveAttribute('data-colour', 'red');
    expect(screen.getByTestId('result-colour')).toHaveTextContent('红码 · 禁止进入');
    expect(screen.getByTestId('result-name')).toHaveTextContent('赵**');
    expect(screen.queryByTestId('checkin-input')).not.toBeInTheDocument();
  });

  it('opens the first-time declaration with the ID number filled in for an unknown number', async () => {
    const user = userEvent.setup();
    checkInById.mockResolvedValue({ outcome: 'unknown', id_number: ID, document_kind: 'resident_id' });
    renderDesk();

    await user.type(box(), `${ID.toLowerCase()}{Enter}`);

    expect(await screen.findByRole('heading', { name: '首次登记' })).toBeInTheDocument();
    // The number as the backend normalized it.
    expect(screen.getByTestId('declare-id-number')).toHaveValue(ID);
    expect(screen.getByTestId('declare-name')).toHaveFocus();
    expect(screen.getByTestId('declare-phone')).toHaveValue('');
    // Nothing is answered for the person: the questions are asked (R5).
    for (const q of ['declare-visited-risk-area', 'declare-contact', 'declare-temperature-abnormal']) {
      expect(screen.getByTestId(q)).toHaveAttribute('aria-checked', 'mixed');
    }
  });

  it('shows a yellow or red result left undecided (after a sign-out or a restart) until it is decided', async () => {
    vi.mocked(api.undecidedResults).mockResolvedValue([result({ colour: 'yellow', masked_name: '李**' })]);
    renderDesk();
    const screenEl = await screen.findByTestId('result-screen');
    expect(screenEl).toHaveAttribute('data-colour', 'yellow');
    expect(screen.getByTestId('result-name')).toHaveTextContent('李**');
  });

  it('asks before recording a repeat scan: Enter records it again, Esc does not', async () => {
    const user = userEvent.setup();
    checkInById.mockResolvedValue({
      outcome: 'repeat',
      person_id: 'p-1',
      masked_name: '李**',
      masked_id: '110***********002X',
      way_in: 'id_number',
      last_at: '2026-11-27T06:03:22Z',
    });
    checkInPerson.mockResolvedValue(result());
    renderDesk();

    await user.type(box(), `${ID}{Enter}`);
    expect(await screen.findByTestId('repeat')).toHaveTextContent('李**（110***********002X）在 14:03:22 已在本场所登记过');
    expect(box()).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('repeat')).not.toBeInTheDocument();
    expect(screen.getByTestId('checkin-message')).toHaveTextContent('未重复登记：李**');
    expect(checkInPerson).not.toHaveBeenCalled();

    await user.type(box(), `${ID}{Enter}`);
    await screen.findByTestId('repeat');
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('result-screen')).toBeInTheDocument();
    expect(checkInPerson).toHaveBeenCalledWith('p-1', true, 'id_number');
  });

  it('says so and keeps the digits when nobody has these last four', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'no_match' });
    renderDesk();

    await user.type(box(), '4321{Enter}');

    expect(await screen.findByTestId('checkin-message')).toHaveTextContent(
      '没有找到后四位为4321的登记人员，请输入完整证件号码',
    );
    expect(box()).toHaveValue('4321');
    expect(box()).toHaveFocus();
    // Selected: the full number typed next replaces the digits.
    expect(box().selectionStart).toBe(0);
    expect(box().selectionEnd).toBe(4);
  });

  it('shows a bad ID number under the box, keyed id_number', async () => {
    const user = userEvent.setup();
    checkInById.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '身份证号：校验位不对',
        fields: [{ field: 'id_number', message: '身份证号：校验位不对' }],
      }),
    );
    renderDesk();

    await user.type(box(), '110105194912310021{Enter}');

    const message = await screen.findByTestId('checkin-message');
    expect(within(message).getByTestId('error-id_number')).toHaveTextContent('身份证号：校验位不对');
    expect(box()).toHaveAttribute('aria-invalid', 'true');
    expect(box()).toHaveValue('110105194912310021');
  });

  it('explains where to set the served venue when none is set', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '请先在“场所列表”中设置本台服务场所',
        fields: [{ field: 'venue', message: '请先在“场所列表”中设置本台服务场所' }],
      }),
    );
    renderDesk({ served: null });
    expect(screen.getByTestId('checkin-no-venue')).toHaveTextContent('尚未设置本台服务场所');

    await user.type(box(), '1234{Enter}');

    const message = await screen.findByTestId('checkin-message');
    expect(message).toHaveTextContent('请先在“场所列表”中设置本台服务场所');
    expect(message).toHaveTextContent('场所列表”（Alt+3）');
  });

  it('reports signed_out to the app', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录：选择登记员并输入PIN' }));
    const { onsignedout } = renderDesk();

    await user.type(box(), '1234{Enter}');

    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });

  it('sends Enter only once while a lookup is running', async () => {
    const user = userEvent.setup();
    const pending = deferred<Lookup>();
    checkInByLast4.mockReturnValue(pending.promise);
    renderDesk();

    await user.type(box(), '1234{Enter}');
    await user.keyboard('{Enter}');
    expect(checkInByLast4).toHaveBeenCalledTimes(1);
    pending.resolve({ outcome: 'no_match' });
    await screen.findByTestId('checkin-message');
  });

  it('shows how current the risk list is', async () => {
    vi.mocked(api.riskStatus).mockResolvedValue(riskStatus({ stale: true, as_of: '2026-11-25T00:00:00Z' }));
    renderDesk();
    expect(await screen.findByTestId('checkin-risk')).toHaveTextContent('风险名单已过期（更新于 2026-11-25 08:00）');
  });

  it('counts the risk list again when a sync ends (it may have brought entries)', async () => {
    const events = mockSyncEvents();
    vi.mocked(api.riskStatus).mockResolvedValueOnce(riskStatus({ entries: 3 }));
    renderDesk();
    expect(await screen.findByTestId('checkin-risk')).toHaveTextContent('共 3 条');
    await waitFor(() => expect(events.listening()).toBe(1));
    events.emit(syncStatus());
    vi.mocked(api.riskStatus).mockResolvedValue(riskStatus({ entries: 4 }));
    events.emit(syncStatus({ syncing: true }));
    events.emit(syncStatus({ syncing: false }));
    await waitFor(() => expect(screen.getByTestId('checkin-risk')).toHaveTextContent('共 4 条'));
  });

  it('says so on the door when the centre refused the served venue, and the door goes on', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'checked_in', result: result() });
    renderDesk({ served: { ...served, rejected: '重复登记：该场所已登记为“开封宾馆”（鼓楼区中山路1号）' } });
    const banner = screen.getByTestId('checkin-venue-rejected');
    expect(banner).toHaveTextContent('中心驳回了本台服务场所“开封宾馆”：重复登记');
    expect(banner).toHaveTextContent('场所列表”（Alt+3）');
    expect(screen.queryByTestId('checkin-no-venue')).not.toBeInTheDocument();
    await user.type(box(), '1234{Enter}');
    expect(await screen.findByTestId('result-screen')).toBeInTheDocument();
  });
});

describe('CheckInDesk: several people with the same last four', () => {
  const wang = candidate({ person_id: 'p-wang', masked_name: '王*', birth_year: 1990 });
  const liu = candidate({ person_id: 'p-liu', masked_name: '刘*', birth_year: 1985 });

  it('lists them and one digit key picks: 6 keystrokes in all', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'choose', candidates: [wang, liu] });
    checkInPicked.mockResolvedValue({ outcome: 'checked_in', result: result({ masked_name: '刘*', way_in: 'last4' }) });
    renderDesk();

    await user.type(box(), '1234{Enter}');

    const items = await screen.findAllByTestId('candidate');
    expect(items.map((c) => c.textContent?.trim())).toEqual(['1. 王*（1990年生）', '2. 刘*（1985年生）']);
    expect(items.map((c) => c.dataset.index)).toEqual(['1', '2']);
    expect(box()).toHaveFocus();

    await user.keyboard('2');

    expect(checkInPicked).toHaveBeenCalledWith('p-liu', true);
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'green');
    expect(screen.getByTestId('result-name')).toHaveTextContent('刘*');
  });

  it('names the document of people whose documents carry no year of birth', async () => {
    const user = userEvent.setup();
    const holders = [
      candidate({ masked_name: '林*', birth_year: 0, document_kind: 'hk_macao_permit' }),
      candidate({ masked_name: '林*', birth_year: 0, document_kind: 'taiwan_permit' }),
    ];
    checkInByLast4.mockResolvedValue({ outcome: 'choose', candidates: holders });
    renderDesk();
    await user.type(box(), '5678{Enter}');
    const items = await screen.findAllByTestId('candidate');
    expect(items.map((c) => c.textContent?.trim())).toEqual([
      '1. 林*（港澳居民来往内地通行证）',
      '2. 林*（台湾居民来往大陆通行证）',
    ]);
  });

  it('asks first when the one picked was checked in here moments ago, as a scan does', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'choose', candidates: [wang, liu] });
    checkInPicked.mockResolvedValue({
      outcome: 'repeat',
      person_id: 'p-liu',
      masked_name: '刘*',
      masked_id: '410***********0014',
      way_in: 'last4',
      last_at: '2026-11-27T08:00:00Z',
    });
    renderDesk();
    await user.type(box(), '1234{Enter}');
    await screen.findAllByTestId('candidate');
    await user.keyboard('2');
    expect(await screen.findByTestId('repeat')).toHaveTextContent('刘*');
    expect(checkInPerson).not.toHaveBeenCalled();
  });

  it('ignores a digit beyond the list', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'choose', candidates: [wang, liu] });
    renderDesk();
    await user.type(box(), '1234{Enter}');
    await screen.findAllByTestId('candidate');

    await user.keyboard('3');

    expect(checkInPicked).not.toHaveBeenCalled();
    expect(box()).toHaveValue('');
  });

  it('picks with a click too', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'choose', candidates: [wang, liu] });
    checkInPicked.mockResolvedValue({ outcome: 'checked_in', result: result() });
    renderDesk();
    await user.type(box(), '1234{Enter}');

    await user.click((await screen.findAllByTestId('candidate'))[0]!);

    expect(checkInPicked).toHaveBeenCalledWith('p-wang', true);
  });

  it('narrows by birth year: Tab, the year, Enter', async () => {
    const user = userEvent.setup();
    checkInByLast4
      .mockResolvedValueOnce({ outcome: 'choose', candidates: [wang, liu] })
      .mockResolvedValueOnce({ outcome: 'checked_in', result: result({ masked_name: '王*' }) });
    renderDesk();
    await user.type(box(), '1234{Enter}');
    await screen.findAllByTestId('candidate');

    await user.tab();
    expect(screen.getByTestId('choose-birth-year')).toHaveFocus();
    await user.keyboard('1990{Enter}');

    expect(checkInByLast4).toHaveBeenLastCalledWith('1234', 1990, true);
    expect(checkInPicked).not.toHaveBeenCalled();
    expect(await screen.findByTestId('result-name')).toHaveTextContent('王*');
  });

  it('Esc gives up the choice', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'choose', candidates: [wang, liu] });
    renderDesk();
    await user.type(box(), '1234{Enter}');
    await screen.findAllByTestId('candidate');

    await user.keyboard('{Escape}');

    expect(screen.queryByTestId('candidate')).not.toBeInTheDocument();
    await user.keyboard('2');
    expect(checkInPicked).not.toHaveBeenCalled();
    expect(box()).toHaveValue('2');
  });
});

describe('CheckInDesk: first-time declaration', () => {
  async function openDeclaration(user: ReturnType<typeof userEvent.setup>) {
    checkInById.mockResolvedValue({ outcome: 'unknown', id_number: ID, document_kind: 'resident_id' });
    renderDesk();
    await user.type(box(), `${ID}{Enter}`);
    await screen.findByTestId('declare-name');
  }

  it('opens on the kind the scanned number tells, and sends the kind the clerk chose', async () => {
    const user = userEvent.setup();
    const permit = '941840198506150017';
    checkInById.mockResolvedValue({ outcome: 'unknown', id_number: permit, document_kind: 'foreign_permanent_resident' });
    declare.mockResolvedValue(result({ way_in: 'declaration' }));
    renderDesk();
    await user.type(box(), `${permit}{Enter}`);
    const kind = await screen.findByTestId('declare-document-kind');
    expect(kind).toHaveValue('foreign_permanent_resident');
    expect(screen.getByTestId('declare-id-number')).toHaveValue(permit);
    // Every kind the core checks is offered, by its Chinese name.
    expect([...kind.querySelectorAll('option')].map((o) => o.textContent)).toEqual([
      '居民身份证',
      '港澳台居民居住证',
      '外国人永久居留身份证',
      '护照',
      '港澳居民来往内地通行证',
      '台湾居民来往大陆通行证',
    ]);
    await user.selectOptions(kind, 'passport');
    await user.clear(screen.getByTestId('declare-id-number'));
    await user.type(screen.getByTestId('declare-id-number'), 'X1234567A');
    await user.type(screen.getByTestId('declare-name'), 'John Smith');
    await user.type(screen.getByTestId('declare-address'), '鼓楼区中山路18号院3号楼');
    // 否 is the good answer to every question (体温是否异常 too).
    for (const q of ['declare-contact', 'declare-temperature-abnormal', 'declare-visited-risk-area']) {
      screen.getByTestId(q).focus();
      await user.keyboard('n');
    }
    await user.keyboard('{Enter}');
    expect(declare).toHaveBeenCalledWith(
      expect.objectContaining({
        name: 'John Smith',
        document_kind: 'passport',
        id_number: 'X1234567A',
        // N, N, N: nothing to notice, the temperature normal.
        visited_risk_area: false,
        contact_with_suspected: false,
        temperature_normal: true,
      }),
      true,
    );
  });

  it('submits the declaration with Enter, answers set from the keyboard, and shows the result', async () => {
    const user = userEvent.setup();
    declare.mockResolvedValue(result({ colour: 'yellow', way_in: 'declaration', reasons: ['到过疫情严重地区'] }));
    await openDeclaration(user);

    await user.keyboard('李秀英');
    await user.type(screen.getByTestId('declare-address'), '鼓楼区中山路18号院3号楼');
    await user.type(screen.getByTestId('declare-temperature'), '36.6');
    screen.getByTestId('declare-contact').focus();
    await user.keyboard('n');
    screen.getByTestId('declare-temperature-abnormal').focus();
    await user.keyboard('n');
    screen.getByTestId('declare-visited-risk-area').focus();
    await user.keyboard('y');
    expect(screen.getByTestId('declare-visited-risk-area')).toHaveAttribute('aria-checked', 'true');
    // Enter on a question submits; it never flips the answer.
    await user.keyboard('{Enter}');

    expect(declare).toHaveBeenCalledWith(
      {
        name: '李秀英',
        document_kind: 'resident_id',
        id_number: ID,
        address: '鼓楼区中山路18号院3号楼',
        phone: '',
        visited_risk_area: true,
        contact_with_suspected: false,
        temperature_normal: true,
        temperature: '36.6',
      },
      true,
    );
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'yellow');
  });

  it('N, N, N answers the three questions in turn (Y and N move on; the arrows correct in place)', async () => {
    const user = userEvent.setup();
    await openDeclaration(user);
    const ids = ['declare-visited-risk-area', 'declare-contact', 'declare-temperature-abnormal'];
    screen.getByTestId(ids[0]!).focus();
    await user.keyboard('nyn');
    expect(ids.map((id) => screen.getByTestId(id).getAttribute('data-value'))).toEqual(['no', 'yes', 'no']);
    expect(screen.getByTestId(ids[2]!)).toHaveFocus();
    screen.getByTestId(ids[1]!).focus();
    await user.keyboard('{ArrowLeft}');
    expect(screen.getByTestId(ids[1]!)).toHaveAttribute('data-value', 'no');
    expect(screen.getByTestId(ids[1]!)).toHaveFocus();
  });

  it('answers a question with Y / N or a click on the word; Space toggles only an answer given', async () => {
    const user = userEvent.setup();
    await openDeclaration(user);
    const abnormal = screen.getByRole('switch', { name: '体温是否异常' });

    abnormal.focus();
    await user.keyboard(' ');
    expect(abnormal).toHaveAttribute('aria-checked', 'mixed');
    await user.click(within(abnormal).getByText('是'));
    expect(abnormal).toHaveAttribute('aria-checked', 'true');
    await user.keyboard(' ');
    expect(abnormal).toHaveAttribute('aria-checked', 'false');
    await user.keyboard('y');
    expect(abnormal).toHaveAttribute('aria-checked', 'true');
    await user.click(within(abnormal).getByText('否'));
    expect(abnormal).toHaveAttribute('aria-checked', 'false');
  });

  it('Enter with questions unanswered shows the reason under each and keeps the form', async () => {
    const user = userEvent.setup();
    declare.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '是否到过疫情严重地区：请选择“是”或“否”',
        fields: [
          { field: 'visited_risk_area', message: '是否到过疫情严重地区：请选择“是”或“否”' },
          { field: 'temperature_normal', message: '体温是否异常：请选择“是”或“否”' },
        ],
      }),
    );
    await openDeclaration(user);
    await user.keyboard('李秀英{Enter}');
    expect(declare).toHaveBeenCalledWith(
      expect.objectContaining({ visited_risk_area: null, contact_with_suspected: null, temperature_normal: null }),
      true,
    );
    expect(await screen.findByTestId('declare-visited-risk-area-error')).toHaveTextContent('请选择“是”或“否”');
    expect(screen.getByTestId('declare-temperature-abnormal-error')).toHaveTextContent('体温是否异常');
    expect(screen.getByTestId('declare-visited-risk-area')).toHaveFocus();
    expect(screen.queryByTestId('result-screen')).not.toBeInTheDocument();
  });

  it('shows each error under its field', async () => {
    const user = userEvent.setup();
    declare.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '姓名：必填',
        fields: [
          { field: 'name', message: '姓名：必填' },
          { field: 'temperature', message: '体温：应在35.0至42.0℃之间，请复测' },
        ],
      }),
    );
    await openDeclaration(user);

    await user.type(screen.getByTestId('declare-temperature'), '45{Enter}');

    expect(await screen.findByTestId('error-name')).toHaveTextContent('姓名：必填');
    expect(screen.getByTestId('error-temperature')).toHaveTextContent('体温：应在35.0至42.0℃之间，请复测');
    expect(screen.getByTestId('declare-name')).toHaveFocus();
    expect(screen.queryByTestId('result-screen')).not.toBeInTheDocument();
  });

  it('Esc goes back to the box', async () => {
    const user = userEvent.setup();
    await openDeclaration(user);
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('declare-name')).not.toBeInTheDocument();
    expect(box()).toHaveFocus();
    expect(box()).toHaveValue('');
    expect(declare).not.toHaveBeenCalled();
  });
});

describe('CheckInDesk: manual registration', () => {
  it('F4 brings a whole number left in the box (the door asked to wait) into the form', async () => {
    const user = userEvent.setup();
    const reason =
      '证件号码：本台近来有30次查询没有登记任何人（号码不在本台、后四位无人或未选定、离场未找到），为防他人借此猜测证件号码，请120秒后再查询；来访人员（新来的或来过的）都可按 F4 手工登记';
    checkInById.mockRejectedValueOnce(commandError({ code: 'invalid', message: reason, fields: [{ field: 'id_number', message: reason }] }));
    renderDesk();
    await user.type(box(), '410205195006090022{Enter}');
    expect(await screen.findByTestId('error-id_number')).toHaveTextContent('F4 手工登记');
    await user.keyboard('{F4}');
    expect(await screen.findByTestId('person-0-id-number')).toHaveValue('410205195006090022');
    // Last four are not a number to register. (A number in the form: Esc twice to leave it.)
    await user.keyboard('{Escape}{Escape}');
    await user.type(box(), '0022');
    await user.keyboard('{F4}');
    expect(await screen.findByTestId('person-0-id-number')).toHaveValue('');
  });

  it('F4 opens it; a guardian registers a child and an elderly father at once, each with their own relation; all results on one screen', async () => {
    const user = userEvent.setup();
    registerManual.mockResolvedValue([
      result({ visit_id: 'v-a', masked_name: '张*', masked_id: '410***********0011', way_in: 'manual' }),
      result({ visit_id: 'v-b', masked_name: '张**', masked_id: '410***********0022', colour: 'yellow', way_in: 'manual', reasons: ['体温异常'] }),
    ]);
    renderDesk({ tripCodeChecked: false });

    await user.keyboard('{F4}');
    expect(await screen.findByRole('heading', { name: '手工登记' })).toBeInTheDocument();

    await user.click(screen.getByTestId('manual-helper-guardian'));
    await user.type(screen.getByTestId('guardian-name'), '张伟');
    await user.type(screen.getByTestId('guardian-document-number'), '410203198001010036');
    await user.type(screen.getByTestId('guardian-phone'), '13837800001');

    await user.type(screen.getByTestId('person-0-relation'), '父亲');
    await user.type(screen.getByTestId('person-0-name'), '张小');
    await user.type(screen.getByTestId('person-0-id-number'), '410205201503070011');
    await user.type(screen.getByTestId('person-0-address'), '鼓楼区中山路18号');
    await answer(user, 'person-0', ['n', 'n', 'n']);

    await user.keyboard('{Alt>}n{/Alt}');
    // A guardian registers: who they are to the new person is asked first.
    expect(screen.getByTestId('person-1-relation')).toHaveFocus();
    await user.keyboard('儿子');
    await user.type(screen.getByTestId('person-1-name'), '张老汉');
    await user.type(screen.getByTestId('person-1-id-number'), '410205195006090022');
    // The family's address came along; it can be changed.
    expect(screen.getByTestId('person-1-address')).toHaveValue('鼓楼区中山路18号');
    await user.type(screen.getByTestId('person-1-temperature'), '37.8');
    await answer(user, 'person-1', ['n', 'n', 'y']);
    await user.click(screen.getByTestId('manual-submit'));

    const child = (name: string, id: string, more: object = {}) => ({
      name,
      document_kind: 'resident_id',
      id_number: id,
      address: '鼓楼区中山路18号',
      phone: '',
      visited_risk_area: false,
      contact_with_suspected: false,
      temperature_normal: true,
      temperature: '',
      ...more,
    });
    expect(registerManual).toHaveBeenCalledWith(
      { by: 'guardian', name: '张伟', phone: '13837800001', document_number: '410203198001010036' },
      [
        child('张小', '410205201503070011'),
        child('张老汉', '410205195006090022', { temperature: '37.8', temperature_normal: false }),
      ],
      ['父亲', '儿子'],
      false,
    );

    const screenEl = await screen.findByTestId('result-screen');
    // The worst colour fills the screen.
    expect(screenEl).toHaveAttribute('data-colour', 'yellow');
    const items = screen.getAllByTestId('result-item');
    expect(items.map((i) => i.dataset.colour)).toEqual(['green', 'yellow']);
    expect(items[0]).toHaveTextContent('张*');
    expect(items[1]).toHaveTextContent('410***********0022');
    expect(items[1]).toHaveTextContent('体温异常');
  });

  it('shows dependents.1.name under the second person’s name, and other keys in a banner', async () => {
    const user = userEvent.setup();
    registerManual.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '第2位：姓名：必填',
        fields: [
          { field: 'dependents.0.relation', message: '第1位：监护人身份：必填' },
          { field: 'dependents.1.name', message: '第2位：姓名：必填' },
          { field: 'dependents', message: '请至少登记一人' },
        ],
      }),
    );
    renderDesk();
    await user.click(screen.getByTestId('manual-open'));
    await user.click(screen.getByTestId('manual-helper-guardian'));
    await user.click(screen.getByTestId('manual-add'));
    await user.type(screen.getByTestId('person-0-name'), '王奶奶{Enter}');

    const error = await screen.findByTestId('error-dependents.1.name');
    expect(error).toHaveTextContent('第2位：姓名：必填');
    // Under the second person's name field, not the first's.
    const second = screen.getAllByTestId('manual-person')[1]!;
    expect(within(second).getByTestId('error-dependents.1.name')).toBe(error);
    expect(within(second).getByTestId('person-1-name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('person-0-name')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByTestId('error-dependents.0.relation')).toHaveTextContent('第1位：监护人身份：必填');
    expect(screen.getByTestId('manual-error')).toHaveTextContent('请至少登记一人');
    // The first field in error on screen gets the focus.
    expect(screen.getByTestId('person-0-relation')).toHaveFocus();
  });

  it('a child without a document: the kind asks for the date of birth in the number’s place', async () => {
    const user = userEvent.setup();
    registerManual.mockResolvedValue([result({ masked_name: '张**', masked_id: '儿童（2019年生）', way_in: 'manual' })]);
    renderDesk();
    await user.click(screen.getByTestId('manual-open'));
    // The declaration's form does not offer it; 手工登记 does, last.
    const kinds = [...(screen.getByTestId('person-0-document-kind') as HTMLSelectElement).options].map((o) => o.value);
    expect(kinds.at(-1)).toBe('child_with_guardian');
    await user.click(screen.getByTestId('manual-helper-guardian'));
    await user.type(screen.getByTestId('guardian-name'), '张伟');
    await user.type(screen.getByTestId('guardian-document-number'), '410203198001010036');
    await user.type(screen.getByTestId('guardian-phone'), '13837800001');
    await user.type(screen.getByTestId('person-0-relation'), '父亲');
    await user.type(screen.getByTestId('person-0-name'), '张小雨');
    const number = screen.getByTestId('person-0-id-number');
    expect(screen.getByLabelText('证件号码')).toBe(number);
    await user.selectOptions(screen.getByTestId('person-0-document-kind'), 'child_with_guardian');
    expect(screen.getByLabelText('出生日期')).toBe(number);
    expect(number).toHaveAttribute('placeholder', '如 2019-03-04');
    await user.type(number, '2019-03-04');
    await user.type(screen.getByTestId('person-0-address'), '鼓楼区中山路18号');
    await answer(user, 'person-0', ['n', 'n', 'n']);
    await user.click(screen.getByTestId('manual-submit'));
    expect(registerManual).toHaveBeenCalledWith(
      { by: 'guardian', name: '张伟', phone: '13837800001', document_number: '410203198001010036' },
      [expect.objectContaining({ name: '张小雨', document_kind: 'child_with_guardian', id_number: '2019-03-04' })],
      ['父亲'],
      true,
    );
    expect(await screen.findByTestId('result-screen')).toHaveTextContent('儿童（2019年生）');
  });

  it('shows a refused document kind under the kind and takes the keyboard there', async () => {
    const user = userEvent.setup();
    const why = '第1位：证件类型：无证件的儿童须由监护人出示本人证件陪同登记：代登记方式请选“监护人代登记”';
    registerManual.mockRejectedValue(
      commandError({ code: 'invalid', message: why, fields: [{ field: 'dependents.0.document_kind', message: why }] }),
    );
    renderDesk();
    await user.click(screen.getByTestId('manual-open'));
    await user.selectOptions(screen.getByTestId('person-0-document-kind'), 'child_with_guardian');
    await user.click(screen.getByTestId('manual-submit'));
    expect(await screen.findByTestId('error-dependents.0.document_kind')).toHaveTextContent('监护人代登记');
    expect(screen.getByTestId('person-0-document-kind')).toHaveFocus();
  });

  it('registers by the operator by default, removes a person, and Esc goes back', async () => {
    const user = userEvent.setup();
    registerManual.mockResolvedValue([result()]);
    renderDesk();
    await user.click(screen.getByTestId('manual-open'));
    expect(screen.getByTestId('manual-helper-operator')).toBeChecked();
    expect(screen.queryByTestId('guardian-name')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('manual-add'));
    await user.type(screen.getByTestId('person-1-name'), '乙');
    await user.click(screen.getByTestId('person-0-remove'));
    expect(screen.getAllByTestId('manual-person')).toHaveLength(1);
    expect(screen.getByTestId('person-0-name')).toHaveValue('乙');
    expect(screen.queryByTestId('person-0-remove')).not.toBeInTheDocument();

    // Something typed: the first Esc asks, the second goes back.
    await user.keyboard('{Escape}');
    expect(screen.getByTestId('manual-esc-again')).toHaveTextContent('再按一次 Esc 放弃');
    expect(screen.getByTestId('person-0-name')).toHaveValue('乙');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('manual-person')).not.toBeInTheDocument();
    expect(box()).toHaveFocus();
    expect(registerManual).not.toHaveBeenCalled();
    // Nothing typed: one Esc.
    await user.keyboard('{F4}');
    await screen.findByTestId('manual-person');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('manual-person')).not.toBeInTheDocument();
  });
});

describe('CheckInDesk: back from the result', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a green result goes back to the box after 3 seconds; a red one stays', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    checkInByLast4
      .mockResolvedValueOnce({ outcome: 'checked_in', result: result() })
      .mockResolvedValueOnce({ outcome: 'checked_in', result: result({ colour: 'red' }) });
    renderDesk();

    await user.type(box(), '1234{Enter}');
    await screen.findByTestId('result-screen');
    await vi.advanceTimersByTimeAsync(2900);
    expect(screen.getByTestId('result-screen')).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(200);
    expect(screen.queryByTestId('result-screen')).not.toBeInTheDocument();
    expect(box()).toHaveFocus();

    await user.keyboard('5678{Enter}');
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'red');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(screen.getByTestId('result-screen')).toBeInTheDocument();
  });

  it('a key typed on a green result starts the next ID in the box', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'checked_in', result: result() });
    renderDesk();
    await user.type(box(), '1234{Enter}');
    await screen.findByTestId('result-screen');

    await user.keyboard('5678');

    expect(screen.queryByTestId('result-screen')).not.toBeInTheDocument();
    expect(box()).toHaveValue('5678');
    expect(box()).toHaveFocus();
  });

  it('after 拒绝并上报, goes back to the box with the confirmation', async () => {
    const user = userEvent.setup();
    vi.mocked(api.reportIncident).mockResolvedValue(incident({ held_at: '东门临时隔离点', reported_to: '西司门社区' }));
    checkInByLast4.mockResolvedValue({
      outcome: 'checked_in',
      result: result({ visit_id: 'visit-9', colour: 'red', masked_name: '王*' }),
    });
    renderDesk();
    await user.type(box(), '0014{Enter}');
    await screen.findByTestId('result-screen');

    await user.click(screen.getByTestId('result-report'));
    await user.type(screen.getByTestId('incident-held-at'), '东门临时隔离点');
    await user.type(screen.getByTestId('incident-reported-to'), '西司门社区');
    await user.click(screen.getByTestId('incident-submit'));

    expect(await screen.findByTestId('checkin-message')).toHaveTextContent(
      '已拒绝并记录上报：王*，临时隔离点 东门临时隔离点，上报对象 西司门社区。上报记录待同步至中心',
    );
    expect(vi.mocked(api.reportIncident)).toHaveBeenCalledWith('visit-9', {
      held_at: '东门临时隔离点',
      reported_to: '西司门社区',
    });
    expect(box()).toHaveFocus();
    // The next person clears it.
    await user.keyboard('1');
    expect(screen.queryByTestId('checkin-message')).not.toBeInTheDocument();
  });

  it('a red result ignores typing and waits; Esc asks why, and the box returns once recorded', async () => {
    const user = userEvent.setup();
    checkInByLast4.mockResolvedValue({ outcome: 'checked_in', result: result({ colour: 'red' }) });
    vi.mocked(api.releaseVisit).mockResolvedValue(incident({ status: 'released' }));
    renderDesk();
    await user.type(box(), '1234{Enter}');
    await screen.findByTestId('result-screen');

    await user.keyboard('5678');
    expect(screen.getByTestId('result-screen')).toBeInTheDocument();

    await user.keyboard('{Escape}');
    expect(screen.getByTestId('result-screen')).toBeInTheDocument();
    await user.click(screen.getByTestId('release-misscan'));
    await user.click(screen.getByTestId('release-submit'));
    await waitFor(() => expect(box()).toHaveValue(''));
    expect(box()).toHaveFocus();
  });
});
