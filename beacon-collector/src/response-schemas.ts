/** Response schemas of `POST /v1/beacons` (fastify serialises with them, so no field leaks by accident). */
const countSchema = { type: 'integer', minimum: 0 } as const;

export const beaconResponseSchemas = {
  202: { type: 'object', properties: { accepted: countSchema }, required: ['accepted'] },
  207: {
    type: 'object',
    properties: {
      accepted: countSchema,
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: countSchema,
            issues: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    required: ['accepted', 'rejected'],
  },
} as const;
