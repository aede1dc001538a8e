import mysql from 'mysql2/promise';
import { endpoint } from '../../support/services.ts';
import { describeDbExtract } from './db-extract-contract.ts';

describeDbExtract(
  'mysql',
  () => endpoint('TRIBUTARY_MYSQL_URL'),
  async () => {
    const connection = await mysql.createConnection(endpoint('TRIBUTARY_MYSQL_URL'));
    return { execute: (sql, values) => connection.query(sql, values), close: () => connection.end() };
  },
);
