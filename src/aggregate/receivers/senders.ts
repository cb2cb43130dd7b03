import { readFile as fsReadFile } from 'node:fs/promises';
import type { ReceiverSpec } from '../../config/alerting-schema.js';
import { readProblem } from '../../publish/nats-connection.js';
import type { AlertRecord } from '../types.js';
import { emailMessage } from './email-message.js';
import { slackBody, teamsBody, webhookBody } from './formats.js';
import { postJson } from './http-sender.js';
import { originOf } from './notice-text.js';
import type { AttemptFailure } from './retry-schedule.js';
import { checkHttpUrl, readSecret, type SecretReader } from './secrets.js';
import { sendMail } from './smtp-client.js';

/**
 * One configured receiver, ready to send: its secrets read, its format chosen. The thin I/O
 * shell around the pure formats; the dispatcher decides when to call it.
 */
export interface Sender {
  readonly spec: ReceiverSpec;
  /** null: delivered. */
  send(notice: AlertRecord, now: number): Promise<AttemptFailure | null>;
}

export interface SenderContext extends SecretReader {
  /** The host of the aggregator's own alerts (origin `cluster`). */
  readonly clusterHost: string;
  /** Our name in SMTP EHLO. */
  readonly hostname: string;
}

export type SendersResult =
  | { readonly ok: true; readonly senders: readonly Sender[] }
  | { readonly ok: false; readonly problems: readonly string[] };

export async function buildSenders(
  specs: readonly ReceiverSpec[],
  context: SenderContext,
): Promise<SendersResult> {
  const problems: string[] = [];
  const senders: Sender[] = [];
  for (const [index, spec] of specs.entries()) {
    const where = `alerting.receivers[${index}] (${spec.name})`;
    const sender = await buildSender(spec, where, context, problems);
    if (sender !== null) senders.push(sender);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, senders };
}

async function buildSender(
  spec: ReceiverSpec,
  where: string,
  context: SenderContext,
  problems: string[],
): Promise<Sender | null> {
  const now = (): number => Date.now();
  if (spec.type === 'smtp') {
    let password = '';
    if (spec.password !== null) {
      const read = await readSecret(spec.password, `${where}.password`, context);
      if (!read.ok) problems.push(read.problem);
      else password = read.value;
    }
    let ca: string | undefined;
    if (spec.caFile !== '')
      try {
        ca = Buffer.from(await (context.readFile ?? fsReadFile)(spec.caFile)).toString('utf8');
      } catch (error) {
        problems.push(`${where}.caFile ${spec.caFile}: ${readProblem(error)}`);
      }
    const target = {
      host: spec.host,
      port: spec.port,
      tls: spec.tls,
      ca,
      user: spec.user,
      password,
      auth: spec.auth,
      heloName: context.hostname,
      timeoutMs: spec.timeoutMs,
    };
    return {
      spec,
      send: (notice, at) =>
        sendMail(
          target,
          { from: spec.from, to: spec.to },
          emailMessage(
            notice,
            originOf(notice, context.clusterHost),
            { from: spec.from, to: spec.to, receiver: spec.name },
            new Date(at),
          ),
        ),
    };
  }
  const url = await readSecret(spec.url, `${where}.url`, context, checkHttpUrl);
  if (!url.ok) {
    problems.push(url.problem);
    return null;
  }
  // A Slack or Teams webhook URL carries its token: it is never shown, wherever it came from.
  if (spec.type !== 'webhook') context.redactor.add(url.value);
  const headers: Record<string, string> = { 'user-agent': 'sense-aggregator' };
  if (spec.type === 'webhook')
    for (const h of spec.headers) {
      const value = await readSecret(h.value, `${where}.headers.${h.name}`, context);
      if (!value.ok) problems.push(value.problem);
      else {
        context.redactor.add(value.value);
        headers[h.name] = value.value;
      }
    }
  const target = { url: url.value, headers, timeoutMs: spec.timeoutMs };
  const body = (notice: AlertRecord): unknown => {
    const origin = originOf(notice, context.clusterHost);
    if (spec.type === 'slack') return slackBody(notice, origin);
    if (spec.type === 'teams') return teamsBody(notice, origin);
    return webhookBody(notice, origin, spec.name);
  };
  return { spec, send: (notice) => postJson(target, body(notice), now) };
}
