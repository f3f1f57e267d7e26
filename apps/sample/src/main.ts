import 'reflect-metadata';
import { bootstrap } from './bootstrap.js';

await bootstrap(Number(process.env.PORT ?? 3000));
