// include/linux/license.h license_is_gpl_compatible: the licenses under which a program may call the
// kernel's GPL-only helpers.
const GPL_COMPATIBLE: ReadonlySet<string> = new Set([
  'GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL',
]);

export function licenseIsGplCompatible(license: string): boolean {
  return GPL_COMPATIBLE.has(license);
}
