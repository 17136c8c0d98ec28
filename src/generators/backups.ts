import {imageBaseName} from '../sources/compose.js';
import {defineGenerator} from './define.js';
import {ABS_PATH, deploymentName, outputPaths, readTemplate, render, safeRel, wholeFiles} from './template.js';

// Backups from templates/backup: a pg_dump script (and mongodump where the deployment runs
// MongoDB) with retention, a systemd service and timer for it, the same as a cron file, and a
// restore test that restores the newest dump into a throwaway database and runs a query. No
// file holds a credential: the scripts read a 0600 env file, ~/.pgpass, or (inside Compose)
// the database container's own environment.

const POSTGRES_IMAGES = new Set(['postgres', 'postgis', 'timescaledb', 'timescaledb-ha', 'pgvector']);
const MONGO_IMAGES = new Set(['mongo', 'mongodb-community-server', 'mongodb-enterprise-server']);
/** A Compose service name, safe inside the scripts' double quotes. */
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export const backups = defineGenerator({
  id: 'backups',
  config: true,
  summary:
    'Backups from templates/backup: pg_dump (and mongodump where the deployment runs MongoDB) with retention, as a systemd service and timer or a cron file, and a restore test into a throwaway database.',
  async generate({ctx, into, options, edits}) {
    const name = deploymentName(ctx, undefined);
    const unit = `shipshape-${name}-backup`;
    const dir = safeRel((outputPaths(into)[0] ?? 'backup').replace(/\/+$/, ''));
    const directory = options.directory ?? `/var/backups/shipshape-${name}`;
    if (!ABS_PATH.test(directory) || directory === '/') throw new Error(`directory ${directory}: an absolute path without spaces or quotes`);
    const retention = options.retention ?? 30;
    if (!Number.isInteger(retention) || retention < 1 || retention > 3650) throw new Error(`retention ${retention}: days, from 1 to 3650`);
    const schedule = options.schedule ?? '03:17';
    const hm = HH_MM.exec(schedule);
    if (!hm) throw new Error(`schedule ${schedule}: a daily time as HH:MM, e.g. 03:17`);
    const root = ctx.root.replace(/\/+$/, '') || '/';
    if (!ABS_PATH.test(root))
      throw new Error(`the deployment's path ${root} holds characters a script or unit cannot take unquoted: move it, or write the scripts by hand`);

    const model = await ctx.compose().catch(() => undefined);
    const services = [...(model?.services.values() ?? [])];
    const imageOf = (s: (typeof services)[number]) => (s.image ? imageBaseName(s.image.value) : '');
    const pg = services.find((s) => POSTGRES_IMAGES.has(imageOf(s)) && SERVICE.test(s.name));
    const mongo = services.find((s) => MONGO_IMAGES.has(imageOf(s)) && SERVICE.test(s.name));
    const envFile = `/etc/shipshape/${name}-backup.env`;
    const restoreHour = (Number(hm[1]) + 2) % 24;
    const values = {
      name,
      unit,
      root,
      directory,
      retention,
      envFile,
      pgService: pg?.name ?? '',
      mongo: Boolean(mongo),
      mongoService: mongo?.name ?? '',
      mongoWords: mongo ? ' and MongoDB' : '',
      mongoUnitWords: mongo ? ' and mongodump' : '',
      script: `${root}/${dir}/backup.sh`,
      restoreScript: `${root}/${dir}/restore-test.sh`,
      schedule,
      restoreSchedule: `${String(restoreHour).padStart(2, '0')}:${hm[2]}`,
      cronMinute: String(Number(hm[2])),
      cronHour: String(Number(hm[1])),
      cronRestoreHour: String(restoreHour),
    };
    const file = (template: string, path: string, what: string) => ({
      path: `${dir}/${path}`,
      text: render(readTemplate(`backup/${template}`), values, template),
      what,
    });
    const files = [
      file('backup.sh', 'backup.sh', `backup script (pg_dump${mongo ? ', mongodump' : ''}, ${retention} days kept)`),
      file('restore-test.sh', 'restore-test.sh', 'restore test'),
      file('backup.service', `${unit}.service`, 'systemd service'),
      file('backup.timer', `${unit}.timer`, `systemd timer (daily at ${schedule})`),
      file('restore-test.service', `${unit}-restore-test.service`, 'systemd service for the restore test'),
      file('restore-test.timer', `${unit}-restore-test.timer`, 'systemd timer for the restore test (weekly)'),
      file('backup.cron', `${unit}.cron`, 'cron file (the alternative to the timers)'),
      file('backup.env.example', 'backup.env.example', 'example of the 0600 credentials file'),
    ];
    const notes = [
      pg
        ? `PostgreSQL is dumped through docker compose exec in the ${pg.name} service, with that container's own user and database`
        : 'no PostgreSQL service in the Compose files: the scripts connect with PGHOST, PGPORT, PGUSER, PGDATABASE and PGPASSWORD from the env file (or ~/.pgpass)',
      `copy ${dir}/backup.env.example to ${envFile}, fill it in, and chmod 600 it`,
      `schedule with systemd: cp ${dir}/${unit}*.service ${dir}/${unit}*.timer /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now ${unit}.timer ${unit}-restore-test.timer`,
      `or with cron instead: cp ${dir}/${unit}.cron /etc/cron.d/${unit}`,
      `dumps stay in ${directory} on this host: copy them elsewhere too (rsync, restic, rclone), or a lost disk takes the backups with it`,
    ];
    if (mongo)
      notes.push(
        `MongoDB (${mongo.name}) is dumped too; the restore test covers PostgreSQL: restore a MongoDB archive into a scratch database with mongorestore --archive --gzip --nsFrom/--nsTo`,
      );
    return wholeFiles(ctx, edits, files, notes);
  },
});
