import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { catalog, codeCheck, codeText, invalid, venueCode } from '../test/fixtures';
import CodeVerify from './CodeVerify.svelte';

const checkCode = vi.mocked(api.checkCode);

beforeEach(() => {
  vi.resetAllMocks();
});

describe('CodeVerify', () => {
  it('shows a valid code of this desk in green, with its venue, entrance and kind', async () => {
    const user = userEvent.setup();
    const known = venueCode({ code: codeText(201), venue_name: '开封宾馆', label: '东门', kind: 'destination' });
    checkCode.mockResolvedValue(codeCheck({ known, kind: 'destination', verdict: 'valid' }));
    render(CodeVerify, { catalog });

    await user.type(screen.getByTestId('verify-input'), 'https://placecode.kaifeng.gov.cn/c/x{Enter}');

    expect(checkCode).toHaveBeenCalledWith('https://placecode.kaifeng.gov.cn/c/x');
    const verdict = await screen.findByTestId('verify-verdict');
    expect(verdict).toHaveTextContent('有效：开封宾馆 · 东门 · 专属场所码·目的地场所');
    expect(verdict).toHaveClass('banner-success');
    expect(screen.getByTestId('verify-venue')).toHaveTextContent('开封宾馆');
    expect(screen.getByTestId('verify-entrance')).toHaveTextContent('东门');
    expect(verdict).toHaveTextContent('码的类型 专属场所码·目的地场所');
    expect(verdict).toHaveTextContent(codeText(201));
  });

  it('shows a revoked, unknown or forged code in red', async () => {
    const user = userEvent.setup();
    const revoked = venueCode({ revoked_at: '2026-11-27T08:00:00Z', revoked_reason: '海报被撕毁', replaced_by: codeText(202) });
    checkCode
      .mockResolvedValueOnce(codeCheck({ known: revoked, verdict: 'revoked' }))
      .mockResolvedValueOnce(codeCheck({ known: null }))
      .mockResolvedValueOnce(codeCheck({ known: null, verified: false, verdict: 'forged' }));
    render(CodeVerify, { catalog });
    const input = screen.getByTestId('verify-input');

    await user.type(input, 'a{Enter}');
    expect(await screen.findByTestId('verify-verdict')).toHaveTextContent(`已作废的场所码（海报被撕毁）：请改用新码 ${codeText(202)}`);
    expect(screen.getByTestId('verify-verdict')).toHaveClass('banner-error');

    await user.type(input, 'b{Enter}');
    expect(await screen.findByText('签名有效，但本机没有这个场所码的记录')).toBeInTheDocument();
    expect(screen.getByTestId('verify-verdict')).toHaveClass('banner-error');
    expect(screen.queryByTestId('verify-venue')).not.toBeInTheDocument();

    await user.type(input, 'c{Enter}');
    expect(await screen.findByText('伪造或被篡改的场所码：签名不符，请勿使用')).toBeInTheDocument();
    expect(screen.getByTestId('verify-verdict')).toHaveClass('banner-error');
  });

  it('shows why the input is not a code under the field', async () => {
    const user = userEvent.setup();
    checkCode.mockRejectedValue(invalid('code', '场所码不完整：应为34位，现为5位'));
    render(CodeVerify, { catalog });
    const input = screen.getByTestId('verify-input');

    await user.type(input, '12345{Enter}');

    expect(await screen.findByTestId('error-code')).toHaveTextContent('场所码不完整：应为34位，现为5位');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveFocus();
    expect(screen.queryByTestId('verify-verdict')).not.toBeInTheDocument();
    expect(screen.queryByTestId('verify-error')).not.toBeInTheDocument();
  });

  it('checks the QR in a chosen photo of a poster and shows a refusal in the banner', async () => {
    const user = userEvent.setup();
    vi.mocked(api.checkCodeImage)
      .mockResolvedValueOnce(codeCheck({ verdict: 'valid' }))
      .mockRejectedValueOnce({ code: 'bad_file', message: '图片中有2个二维码，请只拍一张海报', fields: [], similar: [] });
    render(CodeVerify, { catalog });
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const picker = screen.getByLabelText('或选择海报照片（PNG或JPEG）');

    await user.upload(picker, new File([bytes], 'poster.png', { type: 'image/png' }));
    await waitFor(() => expect(api.checkCodeImage).toHaveBeenCalledWith(bytes));
    expect(await screen.findByTestId('verify-verdict')).toHaveTextContent('有效：鼓楼区便民超市 · 正门 · 场所码');

    await user.upload(picker, new File([bytes], 'two.png', { type: 'image/png' }));
    expect(await screen.findByText('图片中有2个二维码，请只拍一张海报')).toBeInTheDocument();
    expect(screen.queryByTestId('verify-verdict')).not.toBeInTheDocument();
  });
});
