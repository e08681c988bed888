import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, riskStatus } from '../test/fixtures';
import RiskList from './RiskList.svelte';

const importRiskCsv = vi.mocked(api.importRiskCsv);

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.riskStatus).mockResolvedValue(riskStatus({ as_of: '2026-11-27T00:00:00Z', entries: 1234 }));
});

function csvFile(): { file: File; bytes: Uint8Array } {
  const bytes = new TextEncoder().encode('身份证号,颜色,原因\n11010519491231002X,红码,密切接触者\n123,黄码,\n');
  return { file: new File([bytes], 'risk.csv', { type: 'text/csv' }), bytes };
}

describe('RiskList', () => {
  it('shows when the list was loaded and how many entries it has', async () => {
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    const status = await screen.findByTestId('risk-status');
    expect(status).toHaveTextContent('更新于 2026-11-27 08:00，共 1234 条');
    expect(status).not.toHaveTextContent('过期');
  });

  it('warns when it is out of date or was never loaded', async () => {
    vi.mocked(api.riskStatus).mockResolvedValueOnce(riskStatus({ stale: true, as_of: '2026-11-20T00:00:00Z' }));
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    expect(await screen.findByTestId('risk-status')).toHaveTextContent('风险名单已过期，请导入最新名单。');
  });

  it('says so when never loaded', async () => {
    vi.mocked(api.riskStatus).mockResolvedValueOnce(riskStatus({ stale: true, as_of: null, entries: 0 }));
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    expect(await screen.findByTestId('risk-status')).toHaveTextContent('尚未导入风险名单');
  });

  it('imports the file as an update by default, and as a full replacement when ticked', async () => {
    const user = userEvent.setup();
    importRiskCsv.mockResolvedValue({ total: 2, imported: 2, rejected: [] });
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    const { file, bytes } = csvFile();

    await user.upload(screen.getByTestId('risk-file'), file);
    await waitFor(() => expect(importRiskCsv).toHaveBeenCalledTimes(1));
    expect(Array.from(importRiskCsv.mock.calls[0]![0])).toEqual(Array.from(bytes));
    expect(importRiskCsv.mock.calls[0]![1]).toBe(false);

    await user.click(screen.getByTestId('risk-replace'));
    await user.upload(screen.getByTestId('risk-file'), file);
    await waitFor(() => expect(importRiskCsv).toHaveBeenCalledTimes(2));
    expect(importRiskCsv.mock.calls[1]![1]).toBe(true);
    expect(screen.getByLabelText('全量替换（先清空现有名单，再导入此文件）')).toBeChecked();
  });

  it('shows the report with rejected rows (masked) and refreshes the status', async () => {
    const user = userEvent.setup();
    importRiskCsv.mockResolvedValue({
      total: 2,
      imported: 1,
      rejected: [{ line: 3, name: '***', reasons: ['身份证号：应为18位'] }],
    });
    vi.mocked(api.riskStatus)
      .mockResolvedValueOnce(riskStatus({ stale: true, as_of: null, entries: 0 }))
      .mockResolvedValueOnce(riskStatus({ as_of: '2026-11-27T06:00:00Z', entries: 1 }));
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    await screen.findByTestId('risk-status');

    await user.upload(screen.getByTestId('risk-file'), csvFile().file);

    expect(await screen.findByTestId('risk-summary')).toHaveTextContent('共 2 行，导入 1 行，驳回 1 行');
    const rows = screen.getAllByTestId('risk-rejected-row');
    expect(rows).toHaveLength(1);
    expect(within(rows[0]!).getByTestId('risk-line')).toHaveTextContent('3');
    expect(rows[0]).toHaveTextContent('身份证号：应为18位');
    await waitFor(() => expect(screen.getByTestId('risk-status')).toHaveTextContent('更新于 2026-11-27 14:00，共 1 条'));
  });

  it('shows a file the backend cannot read', async () => {
    const user = userEvent.setup();
    importRiskCsv.mockRejectedValue(commandError({ code: 'bad_file', message: '无法识别的文件' }));
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    await user.upload(screen.getByTestId('risk-file'), csvFile().file);
    expect(await screen.findByTestId('risk-error')).toHaveTextContent('无法识别的文件');
  });

  it('reports signed_out', async () => {
    const user = userEvent.setup();
    importRiskCsv.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    const onsignedout = vi.fn();
    render(RiskList, { admin: true, onsignedout });
    await user.upload(screen.getByTestId('risk-file'), csvFile().file);
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });

  it('saves the stale-after hours, refusing what is not a number in Chinese, and shows a refusal', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setRiskMaxAge)
      .mockResolvedValueOnce(riskStatus({ as_of: '2026-11-27T00:00:00Z', entries: 1234, max_age_hours: 12 }))
      .mockRejectedValueOnce(commandError({ code: 'forbidden', message: '需要管理员权限' }));
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    const hours = await screen.findByLabelText('过期提醒（小时）');
    await waitFor(() => expect(hours).toHaveValue('24'));
    await user.clear(hours);
    await user.type(hours, 'abc{Enter}');
    expect(await screen.findByTestId('error-risk_max_age_hours')).toHaveTextContent('风险名单有效期：应为1至720小时');
    expect(api.setRiskMaxAge).not.toHaveBeenCalled();
    await user.clear(hours);
    await user.type(hours, '１２{Enter}');
    expect(api.setRiskMaxAge).toHaveBeenCalledWith(12);
    expect(await screen.findByTestId('risk-max-age-hours-saved')).toHaveTextContent('已保存：超过 12 小时未更新即提示过期');
    await user.click(screen.getByRole('button', { name: '保存' }));
    expect(await screen.findByTestId('risk-max-age-hours-error')).toHaveTextContent('需要管理员权限');
    expect(screen.queryByTestId('risk-max-age-hours-saved')).not.toBeInTheDocument();
  });

  it('shows an operator who is not the administrator the status, but no import or settings', async () => {
    render(RiskList, { admin: false, onsignedout: vi.fn() });
    expect(await screen.findByTestId('risk-admin-only')).toHaveTextContent('只有本台管理员可以更改');
    expect(screen.queryByLabelText('过期提醒（小时）')).not.toBeInTheDocument();
    expect(screen.queryByTestId('risk-file')).not.toBeInTheDocument();
  });

  it('on a desk connected to a centre, says the list comes from the centre and offers no file', async () => {
    vi.mocked(api.riskStatus).mockResolvedValueOnce(
      riskStatus({ stale: true, as_of: null, entries: 0, from_centre: true }),
    );
    render(RiskList, { admin: true, onsignedout: vi.fn() });
    expect(await screen.findByTestId('risk-status')).toHaveTextContent('尚未收到中心下发的风险名单');
    expect(screen.getByTestId('risk-from-centre')).toHaveTextContent('风险名单由中心下发');
    expect(screen.queryByTestId('risk-file')).not.toBeInTheDocument();
    expect(screen.getByLabelText('过期提醒（小时）')).toBeInTheDocument();
  });
});
