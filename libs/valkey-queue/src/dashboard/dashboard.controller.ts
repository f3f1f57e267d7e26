import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Optional,
  Param,
  Post,
  Query,
  Req,
  Sse,
  UseGuards,
  type Type,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import type { HistoryState } from '../history/history-record.interface.js';
import { QueueAdmin } from '../admin/queue-admin.service.js';
import { QueueScheduler } from '../scheduler/queue-scheduler.service.js';
import { ScheduleControls } from '../scheduler/schedule-controls.js';
import { DASHBOARD_CSRF_HEADER, DASHBOARD_OPTIONS } from './dashboard.constants.js';
import { DashboardData } from './dashboard-data.service.js';
import { DASHBOARD_HISTORY, HISTORY_OFF, type HistorySource } from './dashboard-history.js';
import {
  badRequest,
  parseCursor,
  parseFilter,
  parseLimit,
  parseName,
  parseOrderingKey,
  parseQueue,
  parseSelection,
  parseState,
} from './dashboard-input.js';
import type { ResolvedDashboardOptions } from './dashboard-options.interface.js';
import { DashboardGuard, operatorOf, type DashboardRequest } from './dashboard.guard.js';
import { dashboardAsset, dashboardPage } from './dashboard-assets.js';
import { LiveFeed, type LiveSnapshot } from './live-feed.service.js';

type Query = Record<string, unknown>;
const SCHEDULE_ACTIONS = ['pause', 'resume', 'trigger', 'remove'] as const;

const notFound = (message: string): NotFoundException => new NotFoundException({ statusCode: 404, message });

/**
 * The dashboard's routes, relative to its path (the subclass made by `dashboardController()` adds
 * the path and the guard). Pages are one HTML document routed by the URL hash. @internal
 */
export class DashboardRoutes {
  private readonly logger = new Logger('ValkeyQueueDashboard');

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly data: DashboardData,
    private readonly admin: QueueAdmin,
    private readonly scheduler: QueueScheduler,
    private readonly controls: ScheduleControls,
    private readonly feed: LiveFeed,
    @Optional() @Inject(DASHBOARD_HISTORY) private readonly history?: HistorySource,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return dashboardPage(this.options.path);
  }

  @Get('assets/app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return dashboardAsset('app.js');
  }

  @Get('assets/app.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  stylesheet(): string {
    return dashboardAsset('app.css');
  }

  @Get('api/config')
  config() {
    const { readOnly, refreshInterval, path } = this.options;
    return {
      path,
      readOnly,
      refreshInterval,
      history: this.history !== undefined,
      csrfHeader: DASHBOARD_CSRF_HEADER,
    };
  }

  @Get('api/queues')
  queues(@Query() query: Query) {
    return this.data.queues(parseLimit(query.limit, 100, 1000), parseCursor(query.cursor, 'queue'));
  }

  @Get('api/queues/:queue')
  queue(@Param('queue') queue: string) {
    return this.data.queue(parseQueue(queue));
  }

  @Get('api/queues/:queue/messages')
  async messages(@Param('queue') queue: string, @Query() query: Query) {
    const name = parseQueue(queue);
    const state = parseState(query.state);
    const limit = parseLimit(query.limit, 50, 500);
    const cursor = parseCursor(query.cursor, state === 'pending' ? 'entry' : 'position');
    await this.data.assertQueue(name);
    return this.admin.peek(name, { state, limit, cursor });
  }

  @Get('api/queues/:queue/messages/:id')
  async message(@Param('queue') queue: string, @Param('id') id: string) {
    const name = parseQueue(queue);
    const messageId = parseName(id, 'id');
    await this.data.assertQueue(name);
    const message = await this.admin.message(name, messageId);
    if (!message) throw notFound(`No message '${messageId}' waiting, pending or delayed in '${name}'`);
    return message;
  }

  @Get('api/queues/:queue/dead-letters')
  deadLetters(@Param('queue') queue: string, @Query() query: Query) {
    const name = parseQueue(queue);
    const filter = parseFilter(query);
    return this.data.deadLetters(
      name,
      filter,
      parseLimit(query.limit, 50, 500),
      parseCursor(query.cursor, 'entry'),
    );
  }

  @Post('api/queues/:queue/pause')
  @HttpCode(200)
  async pause(@Param('queue') queue: string, @Req() request: DashboardRequest) {
    const name = parseQueue(queue);
    await this.data.assertQueue(name);
    await this.admin.pause(name);
    this.audit(request, 'paused queue', name);
    return { paused: true };
  }

  @Post('api/queues/:queue/resume')
  @HttpCode(200)
  async resume(@Param('queue') queue: string, @Req() request: DashboardRequest) {
    const name = parseQueue(queue);
    await this.data.assertQueue(name);
    await this.admin.resume(name);
    this.audit(request, 'resumed queue', name);
    return { paused: false };
  }

  /** Releases an ordering key parked by a dead message (docs/ordering.md): body `{ key }`. */
  @Post('api/queues/:queue/ordering/release')
  @HttpCode(200)
  async releaseOrderingKey(
    @Param('queue') queue: string,
    @Body() body: unknown,
    @Req() request: DashboardRequest,
  ) {
    const name = parseQueue(queue);
    const key = parseOrderingKey(body);
    if (!(await this.admin.releaseOrderingKey(name, key)))
      throw notFound(`Ordering key '${key}' is not parked`);
    this.audit(request, 'released ordering key', name, { key });
    return { released: true };
  }

  @Post('api/queues/:queue/dead-letters/redrive')
  @HttpCode(200)
  async redrive(@Param('queue') queue: string, @Body() body: unknown, @Req() request: DashboardRequest) {
    const name = parseQueue(queue);
    const selection = parseSelection(body);
    const redriven = await this.data.redrive(name, selection);
    this.audit(request, `redrove ${redriven} dead letter(s) of`, name, selection);
    return { redriven };
  }

  @Post('api/queues/:queue/dead-letters/delete')
  @HttpCode(200)
  async deleteDead(@Param('queue') queue: string, @Body() body: unknown, @Req() request: DashboardRequest) {
    const name = parseQueue(queue);
    const selection = parseSelection(body);
    const deleted = await this.data.delete(name, selection);
    this.audit(request, `deleted ${deleted} dead letter(s) of`, name, selection);
    return { deleted };
  }

  @Post('api/queues/:queue/delayed/:id/:action')
  @HttpCode(200)
  async delayed(
    @Param('queue') queue: string,
    @Param('id') id: string,
    @Param('action') action: string,
    @Req() request: DashboardRequest,
  ) {
    const name = parseQueue(queue);
    const messageId = parseName(id, 'id');
    if (action !== 'promote' && action !== 'cancel') throw notFound(`No action ${action}`);
    await this.data.assertQueue(name);
    const done =
      action === 'promote'
        ? await this.admin.promote(name, messageId)
        : await this.admin.cancelDelayed(name, messageId);
    if (!done) throw notFound(`No delayed message '${messageId}' in '${name}'`);
    this.audit(
      request,
      action === 'promote' ? 'promoted delayed message' : 'cancelled delayed message',
      name,
      {
        id: messageId,
      },
    );
    return action === 'promote' ? { promoted: true } : { cancelled: true };
  }

  @Get('api/schedules')
  async schedules() {
    const schedules = await this.scheduler.list();
    const paused = await this.controls.paused(schedules);
    return { items: schedules.map((schedule) => ({ ...schedule, paused: paused.has(schedule.name) })) };
  }

  @Post('api/schedules/:name/:action')
  @HttpCode(200)
  async schedule(
    @Param('name') name: string,
    @Param('action') action: string,
    @Req() request: DashboardRequest,
  ) {
    const schedule = parseName(name, 'name');
    if (!SCHEDULE_ACTIONS.includes(action as never)) throw notFound(`No action ${action}`);
    const found =
      action === 'remove'
        ? await this.scheduler.remove(schedule)
        : (await this.controls[action as 'pause' | 'resume' | 'trigger'](schedule)) === 'done';
    if (!found) throw notFound(`No schedule named '${schedule}'`);
    this.audit(request, `${action === 'trigger' ? 'triggered' : `${action}d`} schedule`, schedule);
    return { [action === 'trigger' ? 'triggered' : `${action}d`]: true };
  }

  @Get('api/ownership')
  ownership() {
    return this.data.ownership();
  }

  @Get('api/history')
  async historySearch(@Query() query: Query) {
    if (!this.history) throw new NotFoundException(HISTORY_OFF);
    const { limit, cursor, queue, state, id, ...rest } = query;
    const filter = parseFilter(rest);
    try {
      return await this.history.search({
        ...(queue !== undefined ? { queue: parseQueue(queue) } : {}),
        ...(state !== undefined ? { state: parseName(state, 'state').split(',') as HistoryState[] } : {}),
        ...(id !== undefined ? { id: parseName(id, 'id') } : {}),
        ...(filter.text ? { text: filter.text } : {}),
        ...(filter.from ? { from: filter.from } : {}),
        ...(filter.to ? { to: filter.to } : {}),
        ...(filter.labels ? { labels: filter.labels } : {}),
        limit: parseLimit(limit, 50, 500),
        ...(cursor !== undefined ? { cursor: parseName(cursor, 'cursor') } : {}),
      });
    } catch (error) {
      // The history checks what the dashboard passes through (states, cursors): its 400, by field.
      if (error instanceof InvalidAdminArgumentError) badRequest(error.argument, error.message);
      throw error;
    }
  }

  @Get('api/history/:id')
  async historyRecord(@Param('id') id: string) {
    if (!this.history) throw new NotFoundException(HISTORY_OFF);
    const record = await this.history.get(parseName(id, 'id'));
    if (record === undefined) throw notFound(`No history for message '${id}'`);
    return record;
  }

  /** The live figures, one event per refresh, from the refresh shared by every open browser. */
  @Sse('api/events')
  events(): Observable<{ data: LiveSnapshot }> {
    return this.feed.events();
  }

  /** Every action is logged: who, what, on what, when. */
  private audit(request: DashboardRequest, action: string, target: string, detail?: unknown): void {
    const suffix = detail === undefined ? '' : ` ${JSON.stringify(detail)}`;
    this.logger.log(`${operatorOf(request)} ${action} '${target}'${suffix} at ${new Date().toISOString()}`);
  }
}

/** The routes mounted at `path`, behind the dashboard guard. @internal */
export function dashboardController(path: string): Type<DashboardRoutes> {
  @Controller(path.replace(/^\/+|\/+$/g, ''))
  @UseGuards(DashboardGuard)
  class ValkeyQueueDashboardController extends DashboardRoutes {}
  return ValkeyQueueDashboardController;
}
