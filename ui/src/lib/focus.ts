import { tick } from 'svelte';

/**
 * Once the content is drawn, focuses `target()`, unless the user is already somewhere: only when
 * nothing has the focus, or the panel around `container` has it (a tab opened with its shortcut
 * takes the focus while its content is still loading).
 */
export async function focusIfIdle(
  container: HTMLElement | undefined,
  target: () => HTMLElement | null | undefined,
): Promise<void> {
  await tick();
  const active = document.activeElement;
  const idle = !active || active === document.body || (container !== undefined && active.contains(container));
  if (idle) target()?.focus();
}
