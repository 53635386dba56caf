/** Why a message never reaches the table; the label values of the dropped-beacons counter. */
export type DropReason = 'invalid_json' | 'invalid_envelope' | 'invalid_beacon' | 'value_out_of_range';
export const DROP_REASONS: readonly DropReason[] = [
  'invalid_json',
  'invalid_envelope',
  'invalid_beacon',
  'value_out_of_range',
];
