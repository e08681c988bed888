import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError } from '../test/fixtures';
import IncidentPlacesSettings from './IncidentPlacesSettings.svelte';

const setList = vi.mocked(api.setIncidentPlaceList);

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.incidentPlaceList).mockResolvedValue({ held_at: ['卡口东侧留观点'], reported_to: [] });
});

describe('IncidentPlacesSettings', () => {
  it('shows the list one a line and saves every line as typed', async () => {
    const user = userEvent.setup();
    setList.mockResolvedValue({ held_at: ['卡口东侧留观点', '西侧帐篷'], reported_to: ['县疫情防控指挥部'] });
    render(IncidentPlacesSettings, { admin: true, onsignedout: vi.fn() });
    const held = await screen.findByTestId('incident-places-held-at');
    expect(held).toHaveValue('卡口东侧留观点');
    await user.type(held, '{Enter}西侧帐篷');
    await user.type(screen.getByTestId('incident-places-reported-to'), '县疫情防控指挥部');
    await user.click(screen.getByTestId('incident-places-save'));
    expect(setList).toHaveBeenCalledWith({ held_at: ['卡口东侧留观点', '西侧帐篷'], reported_to: ['县疫情防控指挥部'] });
    expect(await screen.findByTestId('incident-places-saved')).toHaveTextContent('已保存：临时隔离点2个，上报对象1个');
  });

  it('names a refused line by its number under its box, and focuses it', async () => {
    const user = userEvent.setup();
    setList.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '上报对象：含有不允许的字符“<”',
        fields: [{ field: 'reported_to.1', message: '上报对象：含有不允许的字符“<”' }],
      }),
    );
    render(IncidentPlacesSettings, { admin: true, onsignedout: vi.fn() });
    const reported = await screen.findByTestId('incident-places-reported-to');
    await user.type(reported, '社区{Enter}<b>');
    await user.click(screen.getByTestId('incident-places-save'));
    expect(await screen.findByTestId('error-reported_to')).toHaveTextContent('第2行：上报对象：含有不允许的字符“<”');
    expect(reported).toHaveFocus();
    expect(screen.queryByTestId('incident-places-saved')).not.toBeInTheDocument();
  });

  it('shows the list to an operator who is not the administrator, without a way to change it', async () => {
    render(IncidentPlacesSettings, { admin: false, onsignedout: vi.fn() });
    expect(await screen.findByTestId('incident-places-held-at')).toBeDisabled();
    expect(screen.queryByTestId('incident-places-save')).not.toBeInTheDocument();
    expect(screen.getByText('只有本台管理员可以更改这一项。')).toBeInTheDocument();
  });
});
