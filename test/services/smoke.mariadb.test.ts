import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

describe('MariaDB smoke test', () => {
  const table = uniqueName('orders');
  let connection: mysql.Connection;
  beforeAll(async () => {
    connection = await mysql.createConnection(endpoint('TRIBUTARY_MYSQL_URL'));
  });
  afterAll(async () => {
    await connection.query(`DROP TABLE IF EXISTS ${table}`);
    await connection.end();
  });

  it('should insert rows with bind values and read them back in cursor order', async () => {
    await connection.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, status VARCHAR(16) NOT NULL, completed_at DATETIME(6) NOT NULL)`);
    const orders = Array.from({ length: 50 }, (_, i) => [662 + i, i % 3 === 0 ? 'cancelled' : 'complete', new Date(Date.UTC(2023, 0, 19, 19, 49, i))]);
    await connection.query(`INSERT INTO ${table} (id, status, completed_at) VALUES ?`, [orders]);

    const [rows] = await connection.execute<mysql.RowDataPacket[]>(`SELECT id, status, completed_at FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`, [700, '100']);
    expect(rows.map((r) => r.id as number)).toEqual(orders.filter(([id]) => (id as number) > 700).map(([id]) => id));
    expect(rows[0]?.status).toBe('cancelled');
    expect((rows[0]?.completed_at as Date).toISOString()).toBe('2023-01-19T19:49:39.000Z');

    const hostile = "'; DROP TABLE mysql.user; --";
    const [[echo]] = await connection.execute<mysql.RowDataPacket[]>('SELECT ? AS echoed', [hostile]);
    expect(echo?.echoed).toBe(hostile);
  });
});
