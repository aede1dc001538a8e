import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

describe('Cassandra smoke test', () => {
  const client = new cassandra.Client({
    contactPoints: endpoint('TRIBUTARY_CASSANDRA_CONTACT_POINTS').split(','),
    localDataCenter: process.env.TRIBUTARY_CASSANDRA_DATACENTER ?? 'datacenter1',
  });
  const keyspace = uniqueName('smoke');
  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client.shutdown();
  });

  it('should create a keyspace and a table, write rows and read them back', async () => {
    await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${keyspace}.created_users (username text PRIMARY KEY, email text, age int, registered timestamp)`);
    const insert = `INSERT INTO ${keyspace}.created_users (username, email, age, registered) VALUES (?, ?, ?, ?)`;
    const users = Array.from({ length: 200 }, (_, i) => ({ username: `user${i}`, email: `user${i}@example.com`, age: 18 + (i % 60), registered: new Date(Date.UTC(2020, 0, 1) + i * 86_400_000) }));
    for (let i = 0; i < users.length; i += 50) {
      await Promise.all(users.slice(i, i + 50).map((u) => client.execute(insert, [u.username, u.email, u.age, u.registered], { prepare: true })));
    }
    // An upsert on the primary key replaces, it does not add.
    await client.execute(insert, ['user7', 'new@example.com', 99, users[7]?.registered], { prepare: true });

    const count = await client.execute(`SELECT count(*) AS n FROM ${keyspace}.created_users`);
    expect(Number(count.first().get('n'))).toBe(users.length);
    const row = (await client.execute(`SELECT * FROM ${keyspace}.created_users WHERE username = ?`, ['user7'], { prepare: true })).first();
    expect(row.get('email')).toBe('new@example.com');
    expect(row.get('age')).toBe(99);
    const other = (await client.execute(`SELECT * FROM ${keyspace}.created_users WHERE username = ?`, ['user150'], { prepare: true })).first();
    expect(other.get('email')).toBe('user150@example.com');
    expect((other.get('registered') as Date).toISOString()).toBe(users[150]?.registered.toISOString());
  });
});
