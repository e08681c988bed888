// Small desk preferences kept in the webview's storage: never personal data, only what the
// operator would otherwise retype for every person (the isolation point at this entrance).

const INCIDENT_KEY = 'placecode.incident';

export interface IncidentDefaults {
  held_at: string;
  reported_to: string;
}

export function incidentDefaults(): IncidentDefaults {
  try {
    const raw = globalThis.localStorage?.getItem(INCIDENT_KEY);
    const o: unknown = raw ? JSON.parse(raw) : null;
    if (o && typeof o === 'object') {
      const r = o as Record<string, unknown>;
      return {
        held_at: typeof r.held_at === 'string' ? r.held_at : '',
        reported_to: typeof r.reported_to === 'string' ? r.reported_to : '',
      };
    }
  } catch {
    // Storage unavailable or garbled: start empty.
  }
  return { held_at: '', reported_to: '' };
}

export function rememberIncident(values: IncidentDefaults): void {
  try {
    globalThis.localStorage?.setItem(INCIDENT_KEY, JSON.stringify(values));
  } catch {
    // Not remembered; nothing else depends on it.
  }
}
