import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, incident, invalid, result } from '../test/fixtures';
import type { CheckInResult } from '../lib/types';
import ResultScreen from './ResultScreen.svelte';

const reportIncident = vi.mocked(api.reportIncident);
const releaseVisit = vi.mocked(api.releaseVisit);
const incidentPlaces = vi.mocked(api.incidentPlaces);

beforeEach(() => {
  vi.resetAllMocks();
  incidentPlaces.mockResolvedValue({ held_at: [], reported_to: [], configured: false });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function renderResult(results: CheckInResult[]) {
  const onclose = vi.fn();
  const onsignedout = vi.fn();
  render(ResultScreen, { results, onclose, onsignedout });
  return { onclose, onsignedout };
}

describe('ResultScreen: green', () => {
  it('shows the colour, the masked person, the venue and the Shanghai time', () => {
    renderResult([result({ masked_name: '李**', masked_id: '110***********002X', venue_name: '开封宾馆' })]);
    const el = screen.getByTestId('result-screen');
    expect(el).toHaveAttribute('data-colour', 'green');
    expect(screen.getByTestId('result-colour')).toHaveTextContent('绿码 · 请通行');
    expect(screen.getByTestId('result-name')).toHaveTextContent('李**');
    expect(screen.getByTestId('result-id')).toHaveTextContent('110***********002X');
    expect(screen.getByTestId('result-venue')).toHaveTextContent('开封宾馆');
    // 06:03:22 UTC
    expect(screen.getByTestId('result-time')).toHaveTextContent('14:03:22');
    expect(screen.queryByTestId('result-report')).not.toBeInTheDocument();
    expect(screen.queryByTestId('result-stale')).not.toBeInTheDocument();
  });

  it('returns to the box by itself after 3 seconds, counting down', async () => {
    vi.useFakeTimers();
    const { onclose } = renderResult([result()]);
    expect(screen.getByTestId('result-countdown')).toHaveTextContent('3 秒后自动返回');

    vi.advanceTimersByTime(1000);
    await tick();
    expect(screen.getByTestId('result-countdown')).toHaveTextContent('2 秒后自动返回');
    vi.advanceTimersByTime(1999);
    expect(onclose).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onclose).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it('returns at once on Enter or Esc', async () => {
    const user = userEvent.setup();
    const { onclose } = renderResult([result()]);
    await user.keyboard('{Enter}');
    expect(onclose).toHaveBeenCalledTimes(1);
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(2);
  });

  it('warns when the risk list is out of date or was never loaded', () => {
    renderResult([result({ risk_stale: true, risk_as_of: '2026-11-25T01:30:00Z' })]);
    expect(screen.getByTestId('result-stale')).toHaveTextContent('风险名单已过期（更新于 2026-11-25 09:30）');
  });

  it('says so when the risk list was never loaded', () => {
    renderResult([result({ risk_stale: true, risk_as_of: null })]);
    expect(screen.getByTestId('result-stale')).toHaveTextContent('尚未导入风险名单');
  });
});

describe('ResultScreen: yellow and red', () => {
  const red = result({
    visit_id: 'visit-red',
    colour: 'red',
    masked_name: '赵**',
    reasons: ['风险名单：密切接触者', '接触过疑似病人'],
  });

  it('does not return by itself, and lists the reasons', () => {
    vi.useFakeTimers();
    const { onclose } = renderResult([red]);
    vi.advanceTimersByTime(10_000);
    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByTestId('result-screen')).toHaveAttribute('data-colour', 'red');
    expect(screen.getByTestId('result-colour')).toHaveTextContent('红码 · 禁止进入');
    expect(
      Array.from(screen.getByTestId('result-reasons').querySelectorAll('li')).map((li) => li.textContent),
    ).toEqual(['风险名单：密切接触者', '接触过疑似病人']);
    expect(screen.getByTestId('result-report')).toHaveTextContent('拒绝并上报（Enter）');
  });

  it('yellow uses its own words and dark text', () => {
    renderResult([result({ colour: 'yellow' })]);
    expect(screen.getByTestId('result-colour')).toHaveTextContent('黄码 · 禁止进入');
    expect(screen.getByTestId('result-screen')).toHaveClass('colour-yellow');
  });

  it('Enter opens the report form; submitting reports with the visit id and the fields', async () => {
    const user = userEvent.setup();
    // The notice says what the desk recorded (cleaned), not what was typed.
    reportIncident.mockResolvedValue(incident({ held_at: '东门临时隔离区', reported_to: '疫情防控办' }));
    // A venue with no list of its own: the usual recipients for its kind, from the backend.
    incidentPlaces.mockResolvedValue({ held_at: [], reported_to: ['所在社区', '疫情防控办'], configured: false });
    const { onclose } = renderResult([red]);

    await user.keyboard('{Enter}');

    const heldAt = screen.getByTestId('incident-held-at');
    expect(heldAt).toHaveFocus();
    expect(onclose).not.toHaveBeenCalled();
    await user.keyboard('东门临时隔离区');
    await user.click(screen.getByRole('button', { name: '疫情防控办' }));
    expect(screen.getByTestId('incident-reported-to')).toHaveValue('疫情防控办');
    await user.keyboard('{Enter}');

    expect(reportIncident).toHaveBeenCalledWith('visit-red', { held_at: '东门临时隔离区', reported_to: '疫情防控办' });
    // Reported: back to the box for the next person, with the confirmation.
    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(onclose).toHaveBeenCalledWith({
      notice:
        '已拒绝并记录上报：赵**，临时隔离点 东门临时隔离区，上报对象 疫情防控办。上报记录待同步至中心（联网后自动发送），请立即电话告知上报对象。告知后请在“异常处置”（Alt+6）中点“标记为已上报”，写明告知了谁，并跟进后续处置。',
    });
  });

  it('a card scanned before the decision records nothing: its Enter neither opens nor submits a report', async () => {
    reportIncident.mockResolvedValue(incident({ held_at: '东门临时隔离区', reported_to: '疫情防控办' }));
    incidentPlaces.mockResolvedValue({ held_at: [], reported_to: ['所在社区', '疫情防控办'], configured: false });
    renderResult([red]);
    // A scanner types the next person's number a few milliseconds apart, then Enter.
    const scan = (target: EventTarget) => {
      for (const key of [...'410202199003070014', 'Enter']) {
        if (target instanceof HTMLInputElement && key !== 'Enter') target.value += key;
        target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
      }
    };
    scan(screen.getByTestId('result-screen'));
    await tick();
    expect(screen.queryByTestId('incident-held-at')).not.toBeInTheDocument();
    expect(screen.getByTestId('result-scanned-early')).toHaveTextContent('刚扫入的证件没有登记');
    // The clerk's own Enter, a moment later, opens the report as ever.
    await new Promise((r) => setTimeout(r, 60));
    const user = userEvent.setup();
    await user.keyboard('{Enter}');
    const heldAt = screen.getByTestId('incident-held-at');
    await user.type(heldAt, '东门临时隔离区');
    await user.click(screen.getByRole('button', { name: '疫情防控办' }));
    // A scan into a filled field: taken out again, and no report is filed.
    await new Promise((r) => setTimeout(r, 60));
    scan(heldAt);
    await tick();
    expect(heldAt).toHaveValue('东门临时隔离区');
    const submit = screen.getByTestId('incident-submit');
    submit.focus();
    scan(submit);
    await tick();
    expect(reportIncident).not.toHaveBeenCalled();
    // The clerk's Enter files it.
    await new Promise((r) => setTimeout(r, 60));
    await user.keyboard('{Enter}');
    expect(reportIncident).toHaveBeenCalledWith('visit-red', { held_at: '东门临时隔离区', reported_to: '疫情防控办' });
  });

  it('fills in nothing; places used before at this venue are offered as choices', async () => {
    const user = userEvent.setup();
    incidentPlaces.mockResolvedValue({ held_at: ['东门临时隔离区'], reported_to: ['西司门社区'], configured: false });
    reportIncident.mockResolvedValue(incident());
    renderResult([red]);
    await user.keyboard('{Enter}');
    expect(screen.getByTestId('incident-held-at')).toHaveValue('');
    expect(screen.getByTestId('incident-reported-to')).toHaveValue('');
    // Two presses of Enter file nothing with another place's values: the fields are required.
    await user.click(await screen.findByRole('button', { name: '东门临时隔离区' }));
    expect(screen.getByTestId('incident-held-at')).toHaveValue('东门临时隔离区');
    expect(screen.getByTestId('incident-reported-to')).toHaveFocus();
    await user.click(screen.getByRole('button', { name: '西司门社区' }));
    await user.keyboard('{Enter}');
    expect(reportIncident).toHaveBeenCalledWith('visit-red', { held_at: '东门临时隔离区', reported_to: '西司门社区' });
  });

  it("offers the administrator's list as this venue's, and nothing it did not send", async () => {
    const user = userEvent.setup();
    incidentPlaces.mockResolvedValue({ held_at: ['卡口东侧留观点'], reported_to: ['县疫情防控指挥部'], configured: true });
    renderResult([red]);
    await user.keyboard('{Enter}');
    const choices = await screen.findAllByTestId('incident-choice-reported-to');
    expect(choices.map((c) => c.textContent?.trim())).toEqual(['县疫情防控指挥部']);
    expect(screen.getAllByText('本场所清单：')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: '所在社区' })).not.toBeInTheDocument();
  });

  it('shows field errors under their fields and an unknown key in a banner', async () => {
    const user = userEvent.setup();
    reportIncident.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '临时隔离点：必填',
        fields: [
          { field: 'held_at', message: '临时隔离点：必填' },
          { field: 'visit', message: '该人员已上报，请在“异常处置”中查看' },
        ],
      }),
    );
    renderResult([red]);
    await user.keyboard('{Enter}');
    await user.click(screen.getByTestId('incident-submit'));

    expect(await screen.findByTestId('error-held_at')).toHaveTextContent('临时隔离点：必填');
    expect(screen.getByTestId('incident-error')).toHaveTextContent('该人员已上报');
    expect(screen.getByTestId('incident-held-at')).toHaveFocus();
  });

  it('Esc closes the form first, then asks why; the screen is never left silently', async () => {
    const user = userEvent.setup();
    const { onclose } = renderResult([red]);
    await user.keyboard('{Enter}');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('incident-held-at')).not.toBeInTheDocument();
    expect(onclose).not.toHaveBeenCalled();

    // Esc on the red screen: the reasons are asked, nothing is closed.
    await user.keyboard('{Escape}');
    expect(screen.getByTestId('release-misscan')).toBeInTheDocument();
    expect(onclose).not.toHaveBeenCalled();
    // Enter with no reason chosen names what is missing and records nothing.
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('release-error')).toHaveTextContent('请选择原因');
    expect(releaseVisit).not.toHaveBeenCalled();
    expect(onclose).not.toHaveBeenCalled();
    // Esc goes back to the result, still not closed.
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('release-misscan')).not.toBeInTheDocument();
    expect(screen.getByTestId('result-screen')).toHaveAttribute('data-colour', 'red');
    expect(onclose).not.toHaveBeenCalled();
    expect(reportIncident).not.toHaveBeenCalled();
  });

  it('a release is recorded with its reason (key 2) before the screen closes', async () => {
    const user = userEvent.setup();
    releaseVisit.mockResolvedValue(incident({ status: 'released', note: '工作人员核实后放行：同名' }));
    const { onclose } = renderResult([red]);
    await user.click(screen.getByTestId('result-release'));
    // The first reason has the focus; the number keys choose.
    expect(screen.getByTestId('release-misscan')).toHaveFocus();
    await user.keyboard('2');
    expect(screen.getByTestId('release-verified_by_staff')).toBeChecked();
    // The note is asked for: the keyboard is there, so digits typed are the note's (a clerk's
    // 复测体温36.8℃ on the choices had switched the reason to 其他 with its "3").
    expect(screen.getByTestId('release-note')).toHaveFocus();
    await user.keyboard('复测体温36.8℃{Enter}');
    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(releaseVisit).toHaveBeenCalledWith(red.visit_id, 'verified_by_staff', '复测体温36.8℃');
    expect(onclose.mock.calls[0]![0].notice).toContain('工作人员核实后放行');
  });

  it('其他 without a note shows the backend reason under the note', async () => {
    const user = userEvent.setup();
    releaseVisit.mockRejectedValue(invalid('note', '说明：选择“其他”时请写明原因（至少2个字）'));
    const { onclose } = renderResult([red]);
    await user.keyboard('{Escape}');
    await user.click(screen.getByTestId('release-other'));
    await user.click(screen.getByTestId('release-submit'));
    expect(await screen.findByTestId('error-note')).toHaveTextContent('至少2个字');
    expect(onclose).not.toHaveBeenCalled();
  });

  it('sounds an alarm with the Web Audio API for red, and none for green', () => {
    const starts: number[] = [];
    const frequencies: number[] = [];
    class FakeContext {
      currentTime = 0;
      state = 'running';
      destination = {};
      createGain() {
        return { gain: { setValueAtTime: () => {} }, connect: () => {} };
      }
      createOscillator() {
        return {
          type: 'sine',
          frequency: { setValueAtTime: (f: number) => frequencies.push(f) },
          connect: () => {},
          start: (at: number) => starts.push(at),
          stop: () => {},
          onended: null,
        };
      }
      close() {
        return Promise.resolve();
      }
      resume() {
        return Promise.resolve();
      }
    }
    vi.stubGlobal('AudioContext', FakeContext);

    renderResult([result()]);
    expect(starts).toHaveLength(0);

    cleanup();
    renderResult([red]);
    expect(starts).toHaveLength(1);
    expect(new Set(frequencies)).toEqual(new Set([880, 660]));
  });
});

describe('ResultScreen: several people', () => {
  it('fills the screen with the worst colour, lists everyone, and reports every refused person', async () => {
    const user = userEvent.setup();
    reportIncident.mockResolvedValue(incident());
    const { onclose } = renderResult([
      result({ visit_id: 'v-1', masked_name: '张*', colour: 'green' }),
      result({ visit_id: 'v-2', masked_name: '张**', colour: 'red', reasons: ['接触过疑似病人'] }),
      result({ visit_id: 'v-3', masked_name: '王**', colour: 'yellow', reasons: ['体温异常'] }),
    ]);

    expect(screen.getByTestId('result-screen')).toHaveAttribute('data-colour', 'red');
    const items = screen.getAllByTestId('result-item');
    expect(items.map((i) => i.dataset.colour)).toEqual(['green', 'red', 'yellow']);
    expect(items[1]).toHaveTextContent('红码');
    expect(items[1]).toHaveTextContent('接触过疑似病人');

    await user.keyboard('{Enter}');
    await user.type(screen.getByTestId('incident-held-at'), '东门临时隔离区');
    await user.type(screen.getByTestId('incident-reported-to'), '所在社区{Enter}');

    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(reportIncident.mock.calls.map((c) => c[0])).toEqual(['v-2', 'v-3']);
    expect(onclose.mock.calls[0]?.[0]?.notice).toContain('已拒绝并记录上报：张**、王**');
  });

  it('a retry after a failure does not report anyone twice', async () => {
    const user = userEvent.setup();
    reportIncident
      .mockResolvedValueOnce(incident())
      .mockRejectedValueOnce(commandError({ code: 'storage', message: '数据库错误，请重试' }))
      .mockResolvedValueOnce(incident());
    const { onclose } = renderResult([
      result({ visit_id: 'v-2', colour: 'red' }),
      result({ visit_id: 'v-3', colour: 'yellow' }),
    ]);
    await user.keyboard('{Enter}');
    await user.type(screen.getByTestId('incident-held-at'), '东门');
    await user.type(screen.getByTestId('incident-reported-to'), '所在社区{Enter}');
    expect(await screen.findByTestId('incident-error')).toHaveTextContent('数据库错误，请重试');

    expect(onclose).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('incident-submit'));

    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(reportIncident.mock.calls.map((c) => c[0])).toEqual(['v-2', 'v-3', 'v-3']);
  });
});
