// Generated from the core's rules by src-tauri/src/bindings.rs: do not edit.

/** The most people one manual registration takes. */
export const MANUAL_MAX_PEOPLE = 20;

/** The most crew members of a truck entering at a checkpoint. */
export const CREW_MAX = 10;

/** The most characters of an entrance label. */
export const LABEL_MAX = 20;

/** The most characters of the reason a code is revoked. */
export const REVOKE_REASON_MAX = 60;

/** The most characters of a release's or an incident step's note. */
export const NOTE_MAX = 60;

/** The most characters of a 临时隔离点 or 上报对象. */
export const INCIDENT_PLACE_MAX = 60;

/** The most copies of each poster in one print. */
export const PRINT_COPIES_MAX = 50;
