import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError } from '../test/fixtures';
import VenueImport from './VenueImport.svelte';

const importVenuesCsv = vi.mocked(api.importVenuesCsv);

beforeEach(() => {
  vi.resetAllMocks();
});

/** A CSV as Excel saves it: UTF-8 with a BOM. */
const csv =
  '\uFEFF场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n' +
  '商场超市,鼓楼区便民超市,鼓楼区,中山路中段18号,王建国,13837800001\n' +
  '宾馆酒店,,龙亭区,自由路66号,李娜,12345\n' +
  '火星,某某,火星区,,张三,13837800002\n';

function csvFile(): { file: File; bytes: Uint8Array } {
  const bytes = new TextEncoder().encode(csv);
  return { file: new File([bytes], 'venues.csv', { type: 'text/csv' }), bytes };
}

describe('VenueImport', () => {
  it('explains the expected columns and encodings', () => {
    render(VenueImport);
    for (const column of ['场所类型', '场所名称', '所在辖区', '详细地址', '负责人姓名', '联系电话']) {
      expect(screen.getByText(column)).toBeInTheDocument();
    }
    expect(screen.getByText(/场所码类型（可省略/)).toBeInTheDocument();
    expect(screen.getByText(/UTF-8 或 GBK/)).toBeInTheDocument();
    expect(screen.getByLabelText('选择CSV文件')).toHaveAttribute('accept', '.csv,text/csv');
  });

  it('sends the chosen file’s bytes and shows the report with line numbers', async () => {
    const user = userEvent.setup();
    importVenuesCsv.mockResolvedValue({
      total: 3,
      imported: 1,
      rejected: [
        { line: 3, name: '', reasons: ['场所名称：不能为空', '联系电话：请填写11位手机号或0371开头的固定电话'] },
        { line: 4, name: '某某', reasons: ['场所类型：不在可选范围内'] },
      ],
      warnings: [{ line: 2, name: '鼓楼区便民超市', reasons: ['与已登记的“鼓楼区便民市场”相似'] }],
    });
    render(VenueImport);
    const { file, bytes } = csvFile();

    await user.upload(screen.getByLabelText('选择CSV文件'), file);

    // Reading the file is asynchronous.
    await waitFor(() => expect(importVenuesCsv).toHaveBeenCalledTimes(1));
    const sent = importVenuesCsv.mock.calls[0]?.[0];
    expect(sent).toBeInstanceOf(Uint8Array);
    expect(Array.from(sent ?? [])).toEqual(Array.from(bytes));

    expect(await screen.findByTestId('import-summary')).toHaveTextContent('共 3 行，导入 1 行，驳回 2 行');

    const rejected = screen.getAllByTestId('import-rejected-row');
    expect(rejected).toHaveLength(2);
    expect(within(rejected[0]!).getByTestId('import-line')).toHaveTextContent('3');
    // Each reason on its own line.
    expect(within(rejected[0]!).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      '场所名称：不能为空',
      '联系电话：请填写11位手机号或0371开头的固定电话',
    ]);
    expect(within(rejected[1]!).getByTestId('import-line')).toHaveTextContent('4');
    expect(rejected[1]).toHaveTextContent('某某');
    expect(rejected[1]).toHaveTextContent('场所类型：不在可选范围内');

    const warnings = screen.getAllByTestId('import-warning-row');
    expect(warnings).toHaveLength(1);
    expect(within(warnings[0]!).getByTestId('import-line')).toHaveTextContent('2');
    expect(warnings[0]).toHaveTextContent('与已登记的“鼓楼区便民市场”相似');
  });

  it('reports a clean import without a rejected table', async () => {
    const user = userEvent.setup();
    importVenuesCsv.mockResolvedValue({ total: 2, imported: 2, rejected: [], warnings: [] });
    render(VenueImport);

    await user.upload(screen.getByLabelText('选择CSV文件'), csvFile().file);

    expect(await screen.findByTestId('import-summary')).toHaveTextContent('共 2 行，导入 2 行，驳回 0 行');
    expect(screen.queryByTestId('import-rejected-row')).not.toBeInTheDocument();
    expect(screen.getByText('所有行均已导入。')).toBeInTheDocument();
  });

  it('shows a file the backend cannot read in a red banner', async () => {
    const user = userEvent.setup();
    importVenuesCsv.mockRejectedValue(
      commandError({ code: 'bad_file', message: '无法识别的文件：请选择从 Excel 另存的 CSV 文件' }),
    );
    render(VenueImport);

    await user.upload(screen.getByLabelText('选择CSV文件'), csvFile().file);

    const banner = await screen.findByRole('alert');
    expect(banner).toHaveTextContent('无法识别的文件：请选择从 Excel 另存的 CSV 文件');
    expect(banner).toHaveClass('banner-error');
    expect(screen.queryByTestId('import-summary')).not.toBeInTheDocument();
  });
});
