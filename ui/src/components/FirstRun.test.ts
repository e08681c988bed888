import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { catalog, commandError, notEnrolled, venue } from '../test/fixtures';
import FirstRun from './FirstRun.svelte';

const market = venue({ id: 'v-market', name: '西司门农贸市场' });

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.registerVenue).mockResolvedValue(market);
  vi.mocked(api.setServedVenue).mockResolvedValue({ ...market, served: true });
  vi.mocked(api.syncStatus).mockResolvedValue(notEnrolled());
  vi.mocked(api.finishSetup).mockResolvedValue(undefined);
});

function renderGuide() {
  const props = { catalog, onserved: vi.fn(), onfinish: vi.fn(), onsignedout: vi.fn() };
  render(FirstRun, props);
  return props;
}

async function registerMarket(user: ReturnType<typeof userEvent.setup>): Promise<void> {
  await user.selectOptions(screen.getByLabelText('场所类型'), '农贸市场');
  await user.type(screen.getByLabelText('场所名称'), '西司门农贸市场');
  await user.selectOptions(screen.getByLabelText('所在辖区'), '鼓楼区');
  await user.type(screen.getByLabelText('详细地址'), '西司门街12号');
  await user.type(screen.getByLabelText('负责人姓名'), '王建国');
  await user.type(screen.getByLabelText('联系电话'), '13837800001{Enter}');
}

describe('FirstRun (开始使用)', () => {
  it('registers the served venue, makes its first poster, and finishes after the centre step', async () => {
    const user = userEvent.setup();
    vi.mocked(api.savePosters).mockResolvedValue('/home/clerk/场所码海报-西司门农贸市场-正门.pdf');
    const props = renderGuide();
    expect(screen.getByTestId('first-run-step-venue')).toHaveAttribute('aria-current', 'step');
    // The form's first field has the keyboard at once.
    await waitFor(() => expect(screen.getByLabelText('码的类型')).toHaveFocus());

    await registerMarket(user);
    expect(api.registerVenue).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(api.setServedVenue).toHaveBeenCalledWith('v-market'));
    expect(props.onserved).toHaveBeenCalledWith(expect.objectContaining({ id: 'v-market', served: true }));
    expect(await screen.findByText(/“西司门农贸市场”已设为本台服务场所/)).toBeInTheDocument();
    expect(screen.getByTestId('first-run-step-venue')).toHaveTextContent('✓');
    expect(screen.getByTestId('first-run-step-poster')).toHaveAttribute('aria-current', 'step');

    // The venue's poster: its 正门 code is made by the save itself.
    await user.click(screen.getByTestId('first-run-save'));
    expect(api.savePosters).toHaveBeenCalledWith(['v-market'], [], false, 'pdf', expect.any(Function));
    expect(await screen.findByTestId('save-result')).toHaveTextContent('场所码海报-西司门农贸市场-正门.pdf');

    await user.click(screen.getByTestId('first-run-next'));
    expect(screen.getByTestId('first-run-step-centre')).toHaveAttribute('aria-current', 'step');
    expect(screen.getByTestId('first-run-step-poster')).toHaveAttribute('data-state', 'done');
    expect(screen.queryByTestId('first-run-later')).not.toBeInTheDocument();
    // 上一步 goes back to the poster, and on again.
    await user.click(screen.getByTestId('first-run-back'));
    expect(screen.getByTestId('first-run-step-poster')).toHaveAttribute('aria-current', 'step');
    await user.click(screen.getByTestId('first-run-next'));
    await user.click(screen.getByTestId('first-run-finish'));
    expect(api.finishSetup).toHaveBeenCalledTimes(1);
    expect(props.onfinish).toHaveBeenCalledTimes(1);
  });

  it('下一步 without a poster says the poster was skipped, not done', async () => {
    const user = userEvent.setup();
    renderGuide();
    await registerMarket(user);
    await user.click(await screen.findByTestId('first-run-next'));
    const poster = screen.getByTestId('first-run-step-poster');
    expect(poster).toHaveAttribute('data-state', 'skipped');
    expect(poster).not.toHaveTextContent('✓');
    expect(poster).toHaveTextContent('已跳过：可稍后在“场所列表”打印');
  });

  it('跳过 puts the rest off, from any step', async () => {
    const user = userEvent.setup();
    const props = renderGuide();
    await user.click(screen.getByTestId('first-run-later'));
    expect(api.finishSetup).toHaveBeenCalledTimes(1);
    expect(props.onfinish).toHaveBeenCalledTimes(1);
    expect(api.registerVenue).not.toHaveBeenCalled();
  });

  it('prints the first poster on the printer chosen', async () => {
    const user = userEvent.setup();
    vi.mocked(api.printSetup).mockResolvedValue({
      printers: [{ name: '前台', is_default: true }],
      printer: '前台',
    });
    vi.mocked(api.printPosters).mockResolvedValue({ printer: '前台', job: '前台-1', pages: 1, copies: 1 });
    renderGuide();
    await registerMarket(user);
    await user.click(await screen.findByTestId('first-run-print'));
    await waitFor(() => expect(screen.getByTestId('print-printer')).toHaveValue('前台'));
    await user.click(screen.getByTestId('print-submit'));
    expect(api.printPosters).toHaveBeenCalledWith(['v-market'], [], false, '前台', 1, expect.any(Function));
    expect(await screen.findByTestId('print-result')).toHaveTextContent('已送往打印机“前台”');
    expect(screen.queryByTestId('print-panel')).not.toBeInTheDocument();
  });

  it('goes on from the poster when taken up again with the venue registered', async () => {
    const user = userEvent.setup();
    vi.mocked(api.savePosters).mockResolvedValue('/home/clerk/场所码海报-西司门农贸市场-正门.pdf');
    render(FirstRun, { catalog, served: { ...market, served: true }, onserved: vi.fn(), onfinish: vi.fn(), onsignedout: vi.fn() });
    expect(screen.getByTestId('first-run-step-poster')).toHaveAttribute('aria-current', 'step');
    expect(screen.queryByLabelText('场所名称')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('first-run-save'));
    expect(api.savePosters).toHaveBeenCalledWith(['v-market'], [], false, 'pdf', expect.any(Function));
  });

  it('says when the venue was registered but could not be made the served one', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setServedVenue).mockRejectedValue(commandError({ code: 'storage', message: '存储失败' }));
    const props = renderGuide();
    await registerMarket(user);
    expect(await screen.findByTestId('first-run-error')).toHaveTextContent('场所已登记，但未能设为本台服务场所：存储失败');
    expect(props.onserved).not.toHaveBeenCalled();
  });
});
