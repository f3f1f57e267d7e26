import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootstrap } from './bootstrap.js';
import { DASHBOARD_PATH, dashboardCredentials } from './dashboard/dashboard.credentials.js';

const app = await bootstrap(Number(process.env.PORT ?? 3000));
const { username, password, generated } = dashboardCredentials;
new Logger('Sample').log(
  `Dashboard: ${(await app.getUrl()).replace('[::1]', 'localhost')}${DASHBOARD_PATH} (user ${username}` +
    `${generated ? `, password ${password}; set SAMPLE_DASHBOARD_PASSWORD to choose one` : ''})`,
);
