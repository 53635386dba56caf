/**
 * Composition root of the single-process stack: every service in one process on one origin, each
 * port on its real service when configured and on its embedded default otherwise.
 */
import { once } from 'node:events';
import path from 'node:path';
import { mountAnalytics } from '@streamloop/analytics/mount-analytics';
import { collectorOptions } from '@streamloop/beacon-collector/collector-config';
import { mountCollector } from '@streamloop/beacon-collector/mount-collector';
import { reasonOf } from '@streamloop/core/errors';
import { ALL_TOPICS } from '@streamloop/core/topics';
import { mountDashboards } from '@streamloop/dashboards/mount-dashboards';
import { mountPlayerPages } from '@streamloop/dashboards/mount-player-pages';
import { mountDelivery } from '@streamloop/delivery/mount-delivery';
import { mountIngest } from '@streamloop/ingest/mount-ingest';
import { uploadLimits } from '@streamloop/ingest/upload-limits';
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import { ALL_PORTS } from '@streamloop/service-kit/open-ports';
import { runProcess } from '@streamloop/service-kit/run-process';
import { resolveSecret } from '@streamloop/service-kit/secrets';
import { startTranscode } from '@streamloop/transcode/start-transcode';
import { demoAudienceFailed, playDemoAudience } from './demo-audience.js';
import { ensureDemoVideo } from './demo-video.js';
import { ensureFirstApiKey } from './first-api-key.js';

await runProcess({
  name: 'stack',
  ports: ALL_PORTS,
  // Beacons, playback and uploads work without Redis; only analytics' forgetting waits for it.
  optionalPorts: ['featureStore'],
  async start({ config, logger, registry, ports, app }) {
    const apiKey = resolveSecret(config.dataDir, 'api-key', config.apiKey);
    const signingSecret = resolveSecret(config.dataDir, 'signing-secret', config.signingSecret);
    await ports.eventLog.ensureTopics(ALL_TOPICS);
    const applied = await ports.catalog.migrate();
    if (applied.length > 0) logger.info({ applied }, 'catalog migrations applied');
    const firstKey = await ensureFirstApiKey(ports.catalog);
    // Scoped keys from the catalog, plus the operator's key (every scope) as before.
    const auth = createApiKeyAuth({ legacyKey: apiKey.value, catalog: ports.catalog });

    mountIngest(app, {
      ...uploadLimits(config.uploads),
      ...ports,
      s3: config.s3,
      dataDir: config.dataDir,
      apiKey: auth,
      logger,
      registry,
    });
    mountDelivery(app, {
      ...ports,
      signingSecret: signingSecret.value,
      apiKey: auth,
      logger,
      registry,
      startHint: config.playbackStartHint,
    });
    mountCollector(app, {
      // The spool beside the rest of the data: on Kafka (KAFKA_BROKERS set) a 202 then survives a
      // broker outage too; on the embedded file log a publish is already an fsync.
      ...collectorOptions(config.beacons, config.dataDir),
      eventLog: ports.eventLog,
      logger,
      registry,
    });
    const analytics = await mountAnalytics(app, {
      ...ports,
      databaseUrl: config.databaseUrl,
      alertWebhook: config.alertWebhook,
      privacyMinViewers: config.privacyMinViewers,
      logger,
      registry,
      apiKey: auth,
    });
    mountDashboards(app, {});
    mountPlayerPages(app, { collectorUrl: '/v1/beacons', catalog: ports.catalog });

    // No requeue after a restart: the embedded log keeps uncommitted jobs in the data dir, as Kafka does.
    const transcode = await startTranscode({ config, ports, logger, registry });

    // Demo content is made in the background: the stack answers while ffmpeg works.
    const baseUrl = (): string => {
      const address = app.server.address();
      const port = address !== null && typeof address === 'object' ? address.port : config.port;
      return `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    };
    const demoVideo = config.demo
      ? ensureDemoVideo({ ...ports, logger, workDir: path.join(config.dataDir, 'demo') })
      : undefined;
    // Then a small synthetic audience plays it, so the dashboards are not empty (demo-audience.ts).
    const demoAbort = new AbortController();
    // Before the server closes: a demo run still posting beacons would retry into a closed port.
    app.addHook('preClose', async () => demoAbort.abort());
    // On a restart the demo video is ready at once, before the server listens (and knows its port).
    // A stop before that must not wait for a 'listening' that will never come.
    const listening = async (): Promise<void> => {
      if (!app.server.listening && !demoAbort.signal.aborted)
        await Promise.race([once(app.server, 'listening'), once(demoAbort.signal, 'abort')]);
    };
    const demo = demoVideo ? announceDemo(demoVideo, baseUrl, listening, demoAbort.signal) : undefined;
    const demoAudience = demoVideo
      ?.then((videoId) =>
        videoId
          ? playDemoAudience(videoId, {
              catalog: ports.catalog,
              logger,
              baseUrl,
              listening,
              apiKey: apiKey.value,
              signal: demoAbort.signal,
            })
          : undefined,
      )
      .catch(demoAudienceFailed);

    if (apiKey.source !== 'env') {
      process.stdout.write(
        `API key (${apiKey.source}, kept in ${config.dataDir}/secrets/api-key): ${apiKey.value}\n`,
      );
    }
    if (firstKey !== undefined) {
      process.stdout.write(
        `First scoped API key (every scope; shown once, stored hashed; more with \`npm run keys -w stack -- create\` or POST /api/v1/keys): ${firstKey}\n`,
      );
    }
    return {
      urls: {
        dashboards: '/dashboards/',
        watch: '/watch/<videoId>',
        embed: '/embed/<videoId>',
        sdk: '/sdk/v<major>/streamloop-player.min.js',
        uploads: '/uploads/ (tus)',
        videos: '/api/v1/videos',
      },
      stop: async () => {
        demoAbort.abort();
        await demo;
        await demoAudience;
        await transcode.stop();
        await analytics.stop();
      },
    };
  },
});

async function announceDemo(
  created: Promise<string | undefined>,
  baseUrl: () => string,
  listening: () => Promise<void>,
  stopping: AbortSignal,
): Promise<void> {
  try {
    const videoId = await created;
    if (videoId) {
      await listening();
      if (stopping.aborted) return;
      const base = baseUrl();
      process.stdout.write(
        `  demo video ${base}/watch/${videoId} (transcoding; QoE at ${base}/dashboards/?videoId=${videoId}, its simulated audience at ${base}/dashboards/?videoId=${videoId}&synthetic=synthetic)\n`,
      );
    }
  } catch (err) {
    process.stderr.write(`streamloop: demo video not created (${reasonOf(err)})\n`);
  }
}
