/** What this service is, as recorded when it was created from the paved `{{paved.template}}` template. */
export const service = {
  name: {{json name}},
  description: {{json description}},
  owner: {{json owner}},
} as const;
