// Generated from the core's rules by src-tauri/src/bindings.rs: do not edit.
import type { DocumentKind } from './DocumentKind';

/** Every kind of document, in the order the forms offer them (the core's `DocumentKind::ALL`). */
export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  'resident_id',
  'hmt_residence_permit',
  'foreign_permanent_resident',
  'passport',
  'hk_macao_permit',
  'taiwan_permit',
];
