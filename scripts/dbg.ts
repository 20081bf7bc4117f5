import { readFileSync } from 'node:fs';
import { getJson } from './lib/proc.js';

const ca = readFileSync(process.argv[2] as string, 'utf8');
console.log(ca.slice(0, 40));
try {
  console.log(await getJson('https://127.0.0.1:9400/', { ca, username: 'elastic', password: 'x' }));
} catch (e) {
  console.log('ERR', (e as Error).message);
}
