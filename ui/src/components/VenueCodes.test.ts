import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { codeText, commandError, deferred, invalid, venue, venueCode } from '../test/fixtures';
import VenueCodes from './VenueCodes.svelte';

const venueCodes = vi.mocked(api.venueCodes);
const savePosters = vi.mocked(api.savePosters);

const mall = venue({ id: 'v-mall', name: '鼓楼区便民超市' });
const EAST = codeText(101);
const MAIN_OLD = codeText(102);
const MAIN_NEW = codeText(103);
const east = venueCode({ code: EAST, label: '东门', created_at: '2026-11-27T06:03:22Z' });
const mainOld = venueCode({
  code: MAIN_OLD,
  label: '正门',
  revoked_at: '2026-11-27T07:00:00Z',
  revoked_reason: '海报被撕毁',
  replaced_by: MAIN_NEW,
});
const AT_REVOKE = '2026-11-27T08:00:00Z';

beforeEach(() => {
  vi.resetAllMocks();
  venueCodes.mockResolvedValue([east, mainOld]);
});

function row(code: string): HTMLElement {
  const found = screen.getAllByTestId('code-row').find((r) => r.dataset.code === code);
  if (!found) throw new Error(`no row ${code}`);
  return found;
}

function renderPanel(props: Partial<{ admin: boolean; onback: () => void; onsignedout: () => void }> = {}) {
  return render(VenueCodes, { admin: true, venue: mall, onback: vi.fn(), ...props });
}

describe('VenueCodes', () => {
  it('lists the venue’s codes with their entrance, state and time', async () => {
    renderPanel();
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('场所码与海报：鼓楼区便民超市');
    expect(await screen.findAllByTestId('code-row')).toHaveLength(2);
    expect(venueCodes).toHaveBeenCalledWith('v-mall');

    const active = within(row(EAST));
    expect(active.getByRole('rowheader')).toHaveTextContent('东门');
    expect(row(EAST)).toHaveTextContent(EAST);
    expect(active.getByTestId('code-state')).toHaveTextContent('有效');
    expect(row(EAST)).toHaveTextContent('2026-11-27 14:03');
    // Grouped in fours for reading, but the text is the code itself.
    expect(row(EAST).querySelectorAll('.code > span')).toHaveLength(9);
    expect(active.getByTestId('code-preview-button')).toBeInTheDocument();

    const revoked = within(row(MAIN_OLD)).getByTestId('code-state');
    expect(revoked).toHaveTextContent(`已作废：海报被撕毁 → 新码 ${MAIN_NEW}`);
    // A revoked code prints no more posters.
    expect(within(row(MAIN_OLD)).queryByRole('button')).not.toBeInTheDocument();
  });

  it('预览 shows the poster, and 横版 shows it in landscape', async () => {
    const user = userEvent.setup();
    vi.mocked(api.posterPreview)
      .mockResolvedValueOnce('data:image/png;base64,UE9SVFJBSVQ=')
      .mockResolvedValueOnce('data:image/png;base64,TEFORFNDQVBF');
    renderPanel();
    await user.click(within(await waitForRow(EAST)).getByTestId('code-preview-button'));

    expect(api.posterPreview).toHaveBeenCalledWith(EAST, false);
    const image = await screen.findByTestId('code-preview-image');
    expect(image).toHaveAttribute('src', 'data:image/png;base64,UE9SVFJBSVQ=');
    expect(image).toHaveAttribute('alt', '海报预览');

    await user.click(screen.getByTestId('code-landscape'));
    expect(api.posterPreview).toHaveBeenLastCalledWith(EAST, true);
    await waitFor(() =>
      expect(screen.getByTestId('code-preview-image')).toHaveAttribute('src', 'data:image/png;base64,TEFORFNDQVBF'),
    );
  });

  it('保存PDF saves the poster and 打开 opens the saved file', async () => {
    const user = userEvent.setup();
    const pending = deferred<string | null>();
    savePosters.mockReturnValue(pending.promise);
    renderPanel();
    await user.click(within(await waitForRow(EAST)).getByTestId('code-save-pdf'));

    expect(savePosters).toHaveBeenCalledWith([], [EAST], false, 'pdf', expect.any(Function));
    expect(screen.getByTestId('poster-progress')).toBeInTheDocument();
    expect(screen.getByTestId('code-save-png')).toBeDisabled();

    pending.resolve('/home/desk/场所码海报-鼓楼区便民超市-东门.pdf');
    const saved = await screen.findByTestId('save-result');
    expect(saved).toHaveTextContent('已保存：/home/desk/场所码海报-鼓楼区便民超市-东门.pdf');
    expect(saved).toHaveTextContent('用系统阅读器打开以打印');
    expect(screen.queryByTestId('poster-progress')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('save-open'));
    expect(api.openFile).toHaveBeenCalledWith('/home/desk/场所码海报-鼓楼区便民超市-东门.pdf');
  });

  it('保存PNG saves in landscape when ticked, and says so when nothing was saved', async () => {
    const user = userEvent.setup();
    savePosters.mockResolvedValue(null);
    renderPanel();
    await user.click(await screen.findByTestId('code-landscape'));
    await user.click(within(row(EAST)).getByTestId('code-save-png'));

    expect(savePosters).toHaveBeenCalledWith([], [EAST], true, 'png', expect.any(Function));
    expect(await screen.findByTestId('save-none')).toHaveTextContent('未保存文件。');
    expect(screen.queryByTestId('save-result')).not.toBeInTheDocument();
  });

  it('shows why a file could not be opened', async () => {
    const user = userEvent.setup();
    savePosters.mockResolvedValue('/tmp/a.pdf');
    vi.mocked(api.openFile).mockRejectedValue(
      commandError({ code: 'bad_file', message: '无法打开文件：请确认系统装有PDF阅读器' }),
    );
    renderPanel();
    await user.click(within(await waitForRow(EAST)).getByTestId('code-save-pdf'));
    await user.click(await screen.findByTestId('save-open'));
    expect(await screen.findByTestId('poster-error')).toHaveTextContent('无法打开文件：请确认系统装有PDF阅读器');
    expect(screen.getByTestId('save-result')).toBeInTheDocument();
  });

  it('作废 asks for a reason, revokes the code and shows its replacement', async () => {
    const user = userEvent.setup();
    const fresh = venueCode({ code: codeText(104), label: '东门' });
    vi.mocked(api.revokeCode)
      .mockRejectedValueOnce(invalid('reason', '作废原因：必填，不超过60个字'))
      .mockResolvedValueOnce(fresh);
    renderPanel();
    await user.click(within(await waitForRow(EAST)).getByTestId('code-revoke'));

    const reason = screen.getByTestId('revoke-reason');
    expect(reason).toHaveFocus();
    await user.click(screen.getByTestId('revoke-submit'));
    expect(await screen.findByTestId('error-reason')).toHaveTextContent('作废原因：必填，不超过60个字');
    expect(reason).toHaveAttribute('aria-invalid', 'true');

    venueCodes.mockResolvedValue([fresh, { ...east, revoked_at: AT_REVOKE, revoked_reason: '被挪用', replaced_by: fresh.code }, mainOld]);
    await user.type(reason, '被挪用{Enter}');

    expect(api.revokeCode).toHaveBeenLastCalledWith(EAST, '被挪用');
    const notice = await screen.findByTestId('codes-notice');
    expect(notice).toHaveTextContent(`已作废“东门”的旧码，新场所码：${fresh.code}`);
    await waitFor(() => expect(screen.getAllByTestId('code-row')).toHaveLength(3));
    expect(within(row(EAST)).getByTestId('code-state')).toHaveTextContent(`已作废：被挪用 → 新码 ${fresh.code}`);
    expect(screen.queryByTestId('revoke-reason')).not.toBeInTheDocument();
  });

  it('Esc closes the 作废 form first, then goes back to the list', async () => {
    const user = userEvent.setup();
    const onback = vi.fn();
    renderPanel({ onback });
    await user.click(within(await waitForRow(EAST)).getByTestId('code-revoke'));
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('revoke-reason')).not.toBeInTheDocument();
    expect(within(row(EAST)).getByTestId('code-revoke')).toHaveFocus();
    expect(onback).not.toHaveBeenCalled();

    await user.keyboard('{Escape}');
    expect(onback).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId('codes-back'));
    expect(onback).toHaveBeenCalledTimes(2);
  });

  it('新增入口 issues a code for the entrance, with its reason under the field when refused', async () => {
    const user = userEvent.setup();
    const west = venueCode({ code: codeText(105), label: '西门' });
    vi.mocked(api.issueCode)
      .mockRejectedValueOnce(invalid('label', '入口名称：“东门”已有场所码；要换新码请先作废旧码'))
      .mockResolvedValueOnce(west);
    renderPanel();
    await waitForRow(EAST);
    const label = screen.getByTestId('new-code-label');
    expect(label).toHaveAttribute('placeholder', '如：东门、2号通道');

    await user.type(label, '东门');
    await user.click(screen.getByTestId('new-code-submit'));
    expect(api.issueCode).toHaveBeenCalledWith('v-mall', '东门');
    expect(await screen.findByTestId('error-label')).toHaveTextContent('入口名称：“东门”已有场所码；要换新码请先作废旧码');
    expect(label).toHaveFocus();

    venueCodes.mockResolvedValue([east, west, mainOld]);
    await user.clear(label);
    expect(screen.queryByTestId('error-label')).not.toBeInTheDocument();
    await user.type(label, '西门{Enter}');
    expect(api.issueCode).toHaveBeenLastCalledWith('v-mall', '西门');
    expect(await screen.findByTestId('codes-notice')).toHaveTextContent(`已为“西门”生成场所码：${west.code}`);
    await waitFor(() => expect(screen.getAllByTestId('code-row')).toHaveLength(3));
    expect(label).toHaveValue('');
  });

  it('asks to sign in when issuing finds no operator', async () => {
    const user = userEvent.setup();
    const onsignedout = vi.fn();
    vi.mocked(api.issueCode).mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录：选择登记员并输入PIN' }));
    renderPanel({ onsignedout });
    await waitForRow(EAST);
    await user.type(screen.getByTestId('new-code-label'), '西门{Enter}');

    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
    expect(screen.getByTestId('codes-error')).toHaveTextContent('请先登录：到“登记台”（Alt+1）');
  });

  it('offers 新增入口 to a venue without codes', async () => {
    venueCodes.mockResolvedValue([]);
    renderPanel();
    expect(await screen.findByTestId('codes-empty')).toHaveTextContent('这个场所还没有场所码');
    await waitFor(() => expect(screen.getByTestId('new-code-label')).toHaveFocus());
  });

  it('lets an operator who is not the administrator preview and save posters, not issue or revoke', async () => {
    renderPanel({ admin: false });
    expect(await screen.findAllByTestId('code-preview-button')).not.toHaveLength(0);
    expect(screen.getAllByTestId('code-save-pdf')).not.toHaveLength(0);
    expect(screen.queryByTestId('code-revoke')).not.toBeInTheDocument();
    expect(screen.queryByTestId('new-code-label')).not.toBeInTheDocument();
  });

  it('打印 sends the poster to the printer chosen, with the copies typed; Esc closes without printing', async () => {
    const user = userEvent.setup();
    vi.mocked(api.printSetup).mockResolvedValue({
      printers: [
        { name: '前台打印机', is_default: true },
        { name: 'HP_LaserJet', is_default: false },
      ],
      printer: 'HP_LaserJet',
    });
    vi.mocked(api.printPosters).mockResolvedValue({ printer: 'HP_LaserJet', job: 'HP_LaserJet-7', pages: 1, copies: 2 });
    renderPanel();
    await user.click(within(await waitForRow(EAST)).getByTestId('code-print'));

    // The last choice is offered again; the default is marked.
    const printer = await screen.findByTestId('print-printer');
    await waitFor(() => expect(printer).toHaveValue('HP_LaserJet'));
    expect(printer).toHaveFocus();
    expect(screen.getByRole('option', { name: '前台打印机（系统默认）' })).toBeInTheDocument();
    // Copies start at one each time.
    expect(screen.getByTestId('print-copies')).toHaveValue(1);

    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('print-panel')).not.toBeInTheDocument();
    expect(api.printPosters).not.toHaveBeenCalled();
    expect(within(row(EAST)).getByTestId('code-print')).toHaveFocus();

    await user.click(within(row(EAST)).getByTestId('code-print'));
    const copies = await screen.findByTestId('print-copies');
    await waitFor(() => expect(copies).toHaveValue(1));
    // Out of range: said under the field, and 打印 waits.
    await user.clear(copies);
    await user.type(copies, '0');
    expect(screen.getByTestId('error-copies')).toHaveTextContent('份数：请填1到50之间的整数');
    expect(screen.getByTestId('print-submit')).toBeDisabled();
    await user.clear(copies);
    await user.type(copies, '2{Enter}');

    expect(api.printPosters).toHaveBeenCalledWith([], [EAST], false, 'HP_LaserJet', 2, expect.any(Function));
    expect(await screen.findByTestId('print-result')).toHaveTextContent(
      '已送往打印机“HP_LaserJet”：1张海报，每张2份（打印任务 HP_LaserJet-7）',
    );
    // Handed over: the panel closes, back to the row's 打印.
    await waitFor(() => expect(screen.queryByTestId('print-panel')).not.toBeInTheDocument());
    expect(within(row(EAST)).getByTestId('code-print')).toHaveFocus();
  });

  it('says when the machine has no printer, and when the print service refuses', async () => {
    const user = userEvent.setup();
    vi.mocked(api.printSetup).mockResolvedValueOnce({ printers: [], printer: null });
    renderPanel();
    await user.click(within(await waitForRow(EAST)).getByTestId('code-print'));
    expect(await screen.findByTestId('print-none')).toHaveTextContent('本机没有可用的打印机');
    expect(screen.queryByTestId('print-submit')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('print-close'));

    vi.mocked(api.printSetup).mockResolvedValueOnce({
      printers: [{ name: '前台打印机', is_default: true }],
      printer: '前台打印机',
    });
    vi.mocked(api.printPosters).mockRejectedValueOnce(
      commandError({ code: 'printer', message: '该打印机暂停接收任务：请在系统的打印机设置中恢复' }),
    );
    await user.click(within(row(EAST)).getByTestId('code-print'));
    await waitFor(() => expect(screen.getByTestId('print-printer')).toHaveValue('前台打印机'));
    await user.click(screen.getByTestId('print-submit'));
    expect(await screen.findByTestId('poster-error')).toHaveTextContent('该打印机暂停接收任务');
    // The panel stays, to choose another printer or try again.
    expect(screen.getByTestId('print-panel')).toBeInTheDocument();
  });

  it('opens the 扫码屏 of a code at the chosen period, and says what it does', async () => {
    const user = userEvent.setup();
    vi.mocked(api.openScreen).mockResolvedValue(undefined);
    renderPanel({ admin: false });
    await screen.findAllByTestId('code-row');
    await user.selectOptions(screen.getByTestId('screen-period'), '60');
    await user.click(within(row(EAST)).getByRole('button', { name: '打开扫码屏：东门' }));
    expect(api.openScreen).toHaveBeenCalledWith(EAST, 60);
    expect(await screen.findByTestId('codes-notice')).toHaveTextContent('“东门”的扫码屏已打开');
    expect(screen.getByTestId('codes-notice')).toHaveTextContent('码每60秒更换');
    // A revoked code has no screen; a clerk sees no 只收扫码屏 box.
    expect(within(row(MAIN_OLD)).queryByTestId('code-screen')).toBeNull();
    expect(screen.queryByTestId('code-rotating-only')).toBeNull();
  });

  it('a failed 扫码屏 says why; signed out sends the clerk to sign in', async () => {
    const user = userEvent.setup();
    const onsignedout = vi.fn();
    vi.mocked(api.openScreen).mockRejectedValueOnce(invalid('code', '该场所码已作废'));
    renderPanel({ onsignedout });
    await screen.findAllByTestId('code-row');
    await user.click(within(row(EAST)).getByTestId('code-screen'));
    expect(await screen.findByTestId('codes-error')).toHaveTextContent('该场所码已作废');
    vi.mocked(api.openScreen).mockRejectedValueOnce(commandError({ code: 'signed_out', message: '请先登录' }));
    await user.click(within(row(EAST)).getByTestId('code-screen'));
    await waitFor(() => expect(onsignedout).toHaveBeenCalled());
  });

  it('the administrator sets an entrance to take only its screen; the box shows what is stored', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setCodeRotatingOnly).mockResolvedValue({ ...east, rotating_only: true });
    renderPanel();
    await screen.findAllByTestId('code-row');
    const box = within(row(EAST)).getByRole('checkbox', { name: /“东门”只接受扫码屏上的码/ });
    expect(box).not.toBeChecked();
    venueCodes.mockResolvedValue([{ ...east, rotating_only: true }, mainOld]);
    await user.click(box);
    expect(api.setCodeRotatingOnly).toHaveBeenCalledWith(EAST, true);
    expect(await screen.findByTestId('codes-notice')).toHaveTextContent('“东门”已设为只接受扫码屏上的码');
    await waitFor(() => expect(within(row(EAST)).getByTestId('code-rotating-only')).toBeChecked());
    // Refused: the box goes back to what is stored.
    vi.mocked(api.setCodeRotatingOnly).mockRejectedValueOnce(commandError({ code: 'forbidden', message: '只有管理员可以操作' }));
    await user.click(within(row(EAST)).getByTestId('code-rotating-only'));
    expect(await screen.findByTestId('codes-error')).toHaveTextContent('只有管理员可以操作');
    expect(within(row(EAST)).getByTestId('code-rotating-only')).toBeChecked();
  });

  it('a running screen is marked on its row and 关闭扫码屏 stops it', async () => {
    const user = userEvent.setup();
    vi.mocked(api.runningScreens).mockResolvedValue([EAST]);
    vi.mocked(api.stopScreen).mockResolvedValue(undefined);
    renderPanel({ admin: false });
    await screen.findAllByTestId('code-row');
    expect(within(row(EAST)).getByTestId('code-screen-running')).toHaveTextContent('扫码屏运行中');
    await user.click(within(row(EAST)).getByRole('button', { name: '关闭扫码屏：东门' }));
    expect(api.stopScreen).toHaveBeenCalledWith(EAST);
    expect(await screen.findByTestId('codes-notice')).toHaveTextContent('“东门”的扫码屏已关闭');
    expect(within(row(EAST)).queryByTestId('code-screen-running')).toBeNull();
  });
});

async function waitForRow(code: string): Promise<HTMLElement> {
  await screen.findAllByTestId('code-row');
  return row(code);
}
