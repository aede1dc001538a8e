/**
 * The users of the random-users pipeline: the randomuser.me response item as the API sends it, the
 * formatted user the seed's DAG sends to `users_created`, and the `created_users` table it lands in.
 *
 * Formatting is the seed's `format_data`: one flat record per user, the address as one line of
 * "number street, city, state, country". The id is the API's `login.uuid` rather than a fresh
 * uuid4, so that a page fetched twice (a retried poll, a restart) upserts the same rows.
 */
import { z, type TableSpec } from 'tributary';

/**
 * `RANDOM_USERS_INSTANCE` suffixes every name the pipeline owns on a shared engine (topic, table,
 * job, source), so that tests and several copies on one Kafka or Cassandra never meet; unset, the
 * names are the seed's.
 */
const instance = process.env.RANDOM_USERS_INSTANCE;
export const named = (name: string, separator = '_') => (instance ? `${name}${separator}${instance}` : name);

export const USERS_TOPIC = named('users_created');

/** What the pipeline relies on in one `results[]` item; the rest of the item passes through unread. */
export const apiUserSchema = z.looseObject({
  gender: z.string(),
  name: z.looseObject({ first: z.string().min(1), last: z.string().min(1) }),
  location: z.looseObject({
    street: z.looseObject({ number: z.number().int(), name: z.string() }),
    city: z.string(),
    state: z.string(),
    country: z.string(),
    postcode: z.union([z.string(), z.number()]),
  }),
  email: z.string(),
  login: z.looseObject({ uuid: z.uuid(), username: z.string().min(1) }),
  dob: z.looseObject({ date: z.iso.datetime() }),
  registered: z.looseObject({ date: z.iso.datetime() }),
  phone: z.string(),
  picture: z.looseObject({ medium: z.string() }),
});

export type ApiUser = z.output<typeof apiUserSchema>;

export const userSchema = z.strictObject({
  id: z.uuid(),
  first_name: z.string().min(1),
  last_name: z.string().min(1),
  gender: z.string(),
  address: z.string(),
  post_code: z.string(),
  email: z.email(),
  username: z.string().min(1),
  dob: z.iso.datetime(),
  registered_date: z.iso.datetime(),
  phone: z.string(),
  picture: z.string(),
});

export type User = z.output<typeof userSchema>;

export function formatUser(user: ApiUser): User {
  const { location } = user;
  return {
    id: user.login.uuid,
    first_name: user.name.first,
    last_name: user.name.last,
    gender: user.gender,
    address: `${location.street.number} ${location.street.name}, ${location.city}, ${location.state}, ${location.country}`,
    // The API sends some postcodes as numbers; the seed's Cassandra column is text.
    post_code: String(location.postcode),
    email: user.email,
    username: user.login.username,
    dob: user.dob.date,
    registered_date: user.registered.date,
    phone: user.phone,
    picture: user.picture.medium,
  };
}

export const createdUsersTable: TableSpec = {
  name: named('created_users'),
  key: ['id'],
  columns: {
    id: 'text',
    first_name: 'text',
    last_name: 'text',
    gender: 'text',
    address: 'text',
    post_code: 'text',
    email: 'text',
    username: 'text',
    dob: 'text',
    registered_date: 'text',
    phone: 'text',
    picture: 'text',
  },
};
