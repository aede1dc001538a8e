/**
 * The randomuser.me API as an http-poll source: `results[]` → one record per user, keyed by
 * `login.uuid`. The schema checks what downstream jobs rely on and lets the rest through; the real
 * data's quirks are allowed (postcode a number or a string, `id.value` null).
 */
import { z } from 'zod';

export const randomUserSchema = z.looseObject({
  gender: z.string(),
  name: z.looseObject({ title: z.string(), first: z.string().min(1), last: z.string().min(1) }),
  location: z.looseObject({
    city: z.string(),
    country: z.string(),
    postcode: z.union([z.string(), z.number()]),
    coordinates: z.looseObject({ latitude: z.string(), longitude: z.string() }),
  }),
  email: z.email(),
  login: z.looseObject({ uuid: z.uuid() }),
  dob: z.looseObject({ date: z.iso.datetime(), age: z.number().int() }),
  registered: z.looseObject({ date: z.iso.datetime() }),
  nat: z.string().length(2),
});

export type RandomUser = z.output<typeof randomUserSchema>;

/** The mapping part of an http-poll config for randomuser (add name, url, topic). */
export const randomUserMapping = { records: 'results', key: 'login.uuid', schema: randomUserSchema } as const;
